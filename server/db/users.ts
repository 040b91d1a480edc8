/** User rows: what sessions, sign-in and seeding need, with explicit selects. */

import { db } from "./client";
import type { Prisma, Role } from "./generated/client";
import type { Transaction } from "./transaction";

export const sessionUserSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  active: true,
} satisfies Prisma.UserSelect;

export type SessionUser = Prisma.UserGetPayload<{ select: typeof sessionUserSelect }>;

export function findSessionUser(id: string): Promise<SessionUser | null> {
  return db().user.findUnique({ where: { id }, select: sessionUserSelect });
}

export function findUserForPasswordSignIn(email: string) {
  return db().user.findUnique({ where: { email }, select: { ...sessionUserSelect, passwordHash: true } });
}

export async function countRecentSignInFailures(email: string, since: Date): Promise<{ count: number; oldest?: Date }> {
  const result = await db().signInFailure.aggregate({
    where: { email, createdAt: { gte: since } },
    _count: { _all: true },
    _min: { createdAt: true },
  });
  return { count: result._count._all, oldest: result._min.createdAt ?? undefined };
}

export async function recordSignInFailure(email: string): Promise<void> {
  await db().signInFailure.create({ data: { email }, select: { id: true } });
}

export async function clearSignInFailures(email: string): Promise<void> {
  await db().signInFailure.deleteMany({ where: { email } });
}

export function findSessionUserByEmail(email: string): Promise<SessionUser | null> {
  return db().user.findUnique({ where: { email }, select: sessionUserSelect });
}

export function createUser(
  input: { email: string; name: string; role: Role; passwordHash: string | null },
  tx: Transaction = db(),
): Promise<SessionUser> {
  return tx.user.create({ data: input, select: sessionUserSelect });
}

/** Finds or creates the user for an external sign-in, linking the provider account. */
export async function linkExternalAccount(input: {
  provider: string;
  providerAccountId: string;
  email: string;
  name: string;
}): Promise<SessionUser> {
  return db().$transaction(async (tx) => {
    const linked = await tx.account.findUnique({
      where: { provider_providerAccountId: { provider: input.provider, providerAccountId: input.providerAccountId } },
      select: { user: { select: sessionUserSelect } },
    });
    if (linked) return linked.user;
    const user = await tx.user.upsert({
      where: { email: input.email },
      create: { email: input.email, name: input.name, role: "USER" },
      update: {},
      select: sessionUserSelect,
    });
    await tx.account.create({
      data: { userId: user.id, provider: input.provider, providerAccountId: input.providerAccountId },
      select: { id: true },
    });
    return user;
  });
}
