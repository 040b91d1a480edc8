/** ApiToken rows: per-user API tokens, stored as the SHA-256 of the secret (see server/auth/api-tokens.ts). */

import { AirlockError } from "../errors";
import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";
import { sessionUserSelect } from "./users";

/** What the account page lists: never the hash. */
export const apiTokenSummarySelect = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
} satisfies Prisma.ApiTokenSelect;

export type ApiTokenSummary = Prisma.ApiTokenGetPayload<{ select: typeof apiTokenSummarySelect }>;

const apiTokenCheckSelect = {
  id: true,
  expiresAt: true,
  revokedAt: true,
  lastUsedAt: true,
  user: { select: sessionUserSelect },
} satisfies Prisma.ApiTokenSelect;

export type ApiTokenWithUser = Prisma.ApiTokenGetPayload<{ select: typeof apiTokenCheckSelect }>;

export function insertApiToken(
  tx: Transaction,
  input: { userId: string; name: string; tokenHash: string; prefix: string; expiresAt: Date },
): Promise<ApiTokenSummary> {
  return tx.apiToken.create({ data: input, select: apiTokenSummarySelect });
}

/** The token with its user's current row (role, active): read on every authenticated request. */
export function findApiTokenByHash(tokenHash: string): Promise<ApiTokenWithUser | null> {
  return db().apiToken.findUnique({ where: { tokenHash }, select: apiTokenCheckSelect });
}

/** Newest first; revoked and expired ones too, so the owner sees what happened to them. */
export function listApiTokensOfUser(userId: string, limit: number): Promise<ApiTokenSummary[]> {
  return db().apiToken.findMany({
    where: { userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: apiTokenSummarySelect,
  });
}

/** The owner's token, locked for the revocation; null when it is not theirs (or does not exist). */
export async function lockOwnApiToken(
  tx: Transaction,
  input: { userId: string; tokenId: string },
): Promise<ApiTokenSummary | null> {
  const locked = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id FROM "ApiToken" WHERE id = $1 AND "userId" = $2 FOR UPDATE`,
    input.tokenId,
    input.userId,
  );
  if (locked.length === 0) return null;
  return tx.apiToken.findUnique({ where: { id: input.tokenId }, select: apiTokenSummarySelect });
}

export function markApiTokenRevoked(tx: Transaction, tokenId: string, at: Date): Promise<ApiTokenSummary> {
  return tx.apiToken.update({ where: { id: tokenId }, data: { revokedAt: at }, select: apiTokenSummarySelect });
}

/** Serializes one user's token creations, so the cap on active tokens holds under parallel requests. */
export async function lockUserForTokenCreation(tx: Transaction, userId: string): Promise<void> {
  const locked = await tx.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM "User" WHERE id = $1 FOR UPDATE`, userId);
  if (locked.length === 0) throw new AirlockError("auth:unauthenticated", "Your account no longer exists.");
}

/** Active (neither revoked nor expired) tokens of a user: the cap on how many one person holds. */
export function countActiveApiTokens(tx: Transaction, userId: string, now: Date): Promise<number> {
  return tx.apiToken.count({ where: { userId, revokedAt: null, expiresAt: { gt: now } } });
}

/**
 * Records a use, at most once per `interval` per token: the condition is in the UPDATE, so a
 * storm of parallel requests writes the row once, and the others match nothing.
 */
export async function recordApiTokenUse(input: { tokenId: string; now: Date; intervalMs: number }): Promise<void> {
  await db().apiToken.updateMany({
    where: {
      id: input.tokenId,
      OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(input.now.getTime() - input.intervalMs) } }],
    },
    data: { lastUsedAt: input.now },
  });
}
