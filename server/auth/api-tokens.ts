/**
 * Per-user API tokens: the credential of the HTTP API (app/api/v1) and the MCP gateway
 * (/api/mcp). A token is `alk_` + 32 random bytes in base64url, shown once when created;
 * only its SHA-256 is stored (a secret with 256 bits of entropy needs no slow hash), with
 * a short prefix so a person can tell their tokens apart. Every token expires (1–365 days).
 *
 * A token acts as its user with the user's current role: every request re-reads the user's
 * row, so a demoted user's token is demoted at once and a deactivated user's token stops.
 * "Sign out everywhere" ends browser sessions, not tokens: a token is revoked on its own,
 * in the account page (tokens are named credentials for other systems, like an SSH key).
 */
import { createHash, randomBytes } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  type ApiTokenSummary,
  countActiveApiTokens,
  findApiTokenByHash,
  insertApiToken,
  listApiTokensOfUser,
  lockOwnApiToken,
  lockUserForTokenCreation,
  markApiTokenRevoked,
  recordApiTokenUse,
} from "../db/api-tokens";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { API_TOKEN_ACTIVE_LIMIT, API_TOKEN_MAX_DAYS, API_TOKEN_MIN_DAYS } from "../shared/api-token-schemas";
import type { Role } from "../shared/risk";

export type { ApiTokenSummary } from "../db/api-tokens";

export interface ApiTokenActor {
  tokenId: string;
  user: { id: string; email: string; name: string | null; role: Role };
}

export type ApiTokenFailure = "missing" | "malformed" | "unknown" | "expired" | "revoked" | "user-disabled";

export type ApiTokenCheck =
  | { ok: true; actor: ApiTokenActor }
  | { ok: false; reason: ApiTokenFailure; message: string };

const TOKEN_PREFIX = "alk_";
const SECRET_BYTES = 32;
/** `alk_` and 43 base64url characters (32 bytes, unpadded): the only shape a token has. */
const TOKEN_PATTERN = /^alk_[A-Za-z0-9_-]{43}$/;
/** Exactly one space after the scheme, spelled as RFC 6750 writes it; anything else is malformed. */
const BEARER_PATTERN = /^Bearer ([!-~]+)$/;
/** Longer than any well-formed header: refused before any work is done on it. */
const MAX_AUTHORIZATION_LENGTH = 256;
/** Shown in the account page: `alk_` and the first 8 characters of the secret. */
const DISPLAY_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
/** lastUsedAt is written at most this often per token, however many requests arrive. */
export const LAST_USED_INTERVAL_MS = 60_000;
const LIST_LIMIT = 200;
const DAY_MS = 86_400_000;

const FAILURE_MESSAGES: Record<ApiTokenFailure, string> = {
  missing: "Send your API token as `Authorization: Bearer <token>`. Create one in your account page.",
  malformed: "The Authorization header is not `Bearer <token>` with an Airlock API token (alk_…).",
  unknown: "This API token is not valid.",
  expired: "This API token has expired. Create a new one in your account page.",
  revoked: "This API token was revoked. Create a new one in your account page.",
  "user-disabled": "The account this API token belongs to is deactivated.",
};

function refuse(reason: ApiTokenFailure): ApiTokenCheck {
  return { ok: false, reason, message: FAILURE_MESSAGES[reason] };
}

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The token in a well-formed `Authorization` value, or why there is none. */
export function parseBearer(authorization: string | null): { token: string } | { reason: "missing" | "malformed" } {
  if (authorization === null || authorization === "") return { reason: "missing" };
  if (authorization.length > MAX_AUTHORIZATION_LENGTH) return { reason: "malformed" };
  const match = BEARER_PATTERN.exec(authorization);
  const token = match?.[1];
  if (!token || !TOKEN_PATTERN.test(token)) return { reason: "malformed" };
  return { token };
}

/** Reads `Authorization: Bearer <token>`; re-reads the user's current role from the database; records last use. */
export async function authenticateApiToken(authorization: string | null): Promise<ApiTokenCheck> {
  const parsed = parseBearer(authorization);
  if ("reason" in parsed) return refuse(parsed.reason);
  const found = await findApiTokenByHash(hashApiToken(parsed.token));
  if (!found) return refuse("unknown");
  const now = new Date();
  if (found.revokedAt) return refuse("revoked");
  if (found.expiresAt.getTime() <= now.getTime()) return refuse("expired");
  if (!found.user.active) return refuse("user-disabled");
  // Most requests skip the write entirely; the UPDATE's own condition settles a burst.
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_INTERVAL_MS) {
    await recordApiTokenUse({ tokenId: found.id, now, intervalMs: LAST_USED_INTERVAL_MS });
  }
  const { id, email, name, role } = found.user;
  return { ok: true, actor: { tokenId: found.id, user: { id, email, name, role } } };
}

export interface CreatedApiToken extends ApiTokenSummary {
  /** The secret itself: returned by this call only, never stored or shown again. */
  token: string;
}

/** Creates a token for the user; audited. The secret is in the result and nowhere else. */
export async function createApiToken(options: {
  userId: string;
  name: string;
  expiresInDays: number;
}): Promise<CreatedApiToken> {
  const { userId, name, expiresInDays } = options;
  if (!Number.isInteger(expiresInDays) || expiresInDays < API_TOKEN_MIN_DAYS || expiresInDays > API_TOKEN_MAX_DAYS) {
    throw new AirlockError(
      "request:invalid",
      `A token expires after ${API_TOKEN_MIN_DAYS} to ${API_TOKEN_MAX_DAYS} whole days.`,
    );
  }
  const token = `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString("base64url")}`;
  const now = new Date();
  const summary = await inTransaction(async (tx) => {
    // One token creation per user at a time, so the cap holds under parallel requests.
    await lockUserForTokenCreation(tx, userId);
    if ((await countActiveApiTokens(tx, userId, now)) >= API_TOKEN_ACTIVE_LIMIT) {
      throw new AirlockError(
        "api-token:limit",
        `You already have ${API_TOKEN_ACTIVE_LIMIT} active API tokens. Revoke one you no longer use first.`,
      );
    }
    const created = await insertApiToken(tx, {
      userId,
      name,
      tokenHash: hashApiToken(token),
      prefix: token.slice(0, DISPLAY_PREFIX_LENGTH),
      expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS),
    });
    await recordAuditEvent(tx, {
      actorId: userId,
      action: "api-token.created",
      targetType: "api-token",
      targetId: created.id,
      data: { name: created.name, prefix: created.prefix, expiresAt: created.expiresAt.toISOString() },
    });
    return created;
  });
  return { ...summary, token };
}

export function listApiTokens(options: { userId: string }): Promise<ApiTokenSummary[]> {
  return listApiTokensOfUser(options.userId, LIST_LIMIT);
}

/**
 * Revokes one of the user's own tokens; audited. Another user's token is "not found", as
 * if it did not exist. Revoking an already revoked token changes nothing and succeeds.
 */
export function revokeApiToken(options: { userId: string; tokenId: string }): Promise<ApiTokenSummary> {
  return inTransaction(async (tx) => {
    const token = await lockOwnApiToken(tx, options);
    if (!token) throw new AirlockError("api-token:not-found", "No such API token.");
    if (token.revokedAt) return token;
    const revoked = await markApiTokenRevoked(tx, token.id, new Date());
    await recordAuditEvent(tx, {
      actorId: options.userId,
      action: "api-token.revoked",
      targetType: "api-token",
      targetId: token.id,
      data: { name: token.name, prefix: token.prefix },
    });
    return revoked;
  });
}
