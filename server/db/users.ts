/** User rows: what sessions, sign-in and seeding need, with explicit selects. */

import { db } from "./client";
import type { PasswordAttemptKind, Prisma, Role, Theme } from "./generated/client";
import { inTransaction, type Transaction } from "./transaction";

export const sessionUserSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  active: true,
  sessionVersion: true,
} satisfies Prisma.UserSelect;

export type SessionUser = Prisma.UserGetPayload<{ select: typeof sessionUserSelect }>;

/** NOTIFY channel: a user's sessions were ended (payload: the user id); open streams re-check theirs. */
export const SESSIONS_ENDED_CHANNEL = "airlock_sessions_ended";

async function notifySessionsEnded(tx: Transaction, userId: string): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${SESSIONS_ENDED_CHANNEL}', $1)`, userId);
}

export function findSessionUser(id: string): Promise<SessionUser | null> {
  return db().user.findUnique({ where: { id }, select: sessionUserSelect });
}

export function findUserForPasswordSignIn(email: string) {
  return db().user.findUnique({ where: { email }, select: { ...sessionUserSelect, passwordHash: true } });
}

/** Prefix of the advisory lock that serializes one email's password checks of one kind. */
const PASSWORD_ATTEMPT_LOCK_PREFIX = "airlock:password-attempt:";

export type PasswordAttemptReservation = { reserved: true } | { reserved: false; oldest: Date };

/**
 * Counts and records one password check atomically, before the password is checked: under
 * a transaction-scoped advisory lock per email and kind, the attempts since `since` are
 * counted and, below the limit, one more is inserted. Parallel attempts queue on the lock,
 * so each one sees every attempt committed before it and at most `limit` get through.
 */
export function reservePasswordAttempt(input: {
  email: string;
  kind: PasswordAttemptKind;
  since: Date;
  limit: number;
}): Promise<PasswordAttemptReservation> {
  return inTransaction(async (tx) => {
    await tx.$queryRawUnsafe(
      `SELECT true AS locked FROM pg_advisory_xact_lock(hashtextextended($1, 0))`,
      `${PASSWORD_ATTEMPT_LOCK_PREFIX}${input.kind}:${input.email}`,
    );
    const recent = await tx.signInFailure.aggregate({
      where: { email: input.email, kind: input.kind, createdAt: { gte: input.since } },
      _count: { _all: true },
      _min: { createdAt: true },
    });
    if (recent._count._all >= input.limit) {
      return { reserved: false, oldest: recent._min.createdAt ?? new Date() };
    }
    await tx.signInFailure.create({ data: { email: input.email, kind: input.kind }, select: { id: true } });
    return { reserved: true };
  });
}

/** A successful check forgets the attempts of that kind (including its own reservation). */
export async function clearPasswordAttempts(email: string, kind: PasswordAttemptKind): Promise<void> {
  await db().signInFailure.deleteMany({ where: { email, kind } });
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
  return inTransaction(async (tx) => {
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

// ——— Admin console: listing, locking and optimistic updates ———

export const adminUserSelect = {
  id: true,
  email: true,
  name: true,
  role: true,
  active: true,
  passwordTemporary: true,
  version: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.UserSelect;

export type AdminUserRow = Prisma.UserGetPayload<{ select: typeof adminUserSelect }>;

export interface UserListFilter {
  search?: string;
  role?: Role;
  active?: boolean;
  offset: number;
  limit: number;
}

export async function listUsersForAdmin(filter: UserListFilter): Promise<{ users: AdminUserRow[]; total: number }> {
  const search = filter.search?.trim();
  const where: Prisma.UserWhereInput = {
    ...(search
      ? {
          OR: [
            { email: { contains: search, mode: "insensitive" } },
            { name: { contains: search, mode: "insensitive" } },
          ],
        }
      : {}),
    ...(filter.role ? { role: filter.role } : {}),
    ...(filter.active !== undefined ? { active: filter.active } : {}),
  };
  const [users, total] = await Promise.all([
    db().user.findMany({
      where,
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      skip: filter.offset,
      take: filter.limit,
      select: adminUserSelect,
    }),
    db().user.count({ where }),
  ]);
  return { users, total };
}

export function findAdminUser(id: string, tx: Transaction = db()): Promise<AdminUserRow | null> {
  return tx.user.findUnique({ where: { id }, select: adminUserSelect });
}

export function countActiveAdmins(tx: Transaction = db()): Promise<number> {
  return tx.user.count({ where: { role: "ADMIN", active: true } });
}

export interface LockedUser {
  id: string;
  role: Role;
  active: boolean;
  version: number;
}

/**
 * Locks, in one statement and in id order (so two admins never deadlock), every active
 * admin plus the given users. A row that stopped being an active admin while we waited
 * for its lock drops out, so the caller counts the admins that really remain.
 */
export function lockAdminsAnd(tx: Transaction, ids: string[]): Promise<LockedUser[]> {
  return tx.$queryRawUnsafe<LockedUser[]>(
    `SELECT id, role::text AS role, active, version FROM "User"
      WHERE (role = 'ADMIN' AND active) OR id = ANY($1::text[])
      ORDER BY id FOR UPDATE`,
    ids,
  );
}

/** Applies the change only if the row is still at the version the admin saw. */
export async function updateUserIfVersion(
  tx: Transaction,
  input: {
    id: string;
    expectedVersion: number;
    data: { role?: Role; active?: boolean; passwordHash?: string; passwordTemporary?: boolean };
    /** Ends the user's existing sessions (see User.sessionVersion). */
    endSessions: boolean;
  },
): Promise<AdminUserRow | null> {
  const updated = await tx.user.updateMany({
    where: { id: input.id, version: input.expectedVersion },
    data: {
      ...input.data,
      version: { increment: 1 },
      ...(input.endSessions ? { sessionVersion: { increment: 1 } } : {}),
    },
  });
  if (updated.count !== 1) return null;
  if (input.endSessions) await notifySessionsEnded(tx, input.id);
  return findAdminUser(input.id, tx);
}

/** An invited user: their password is temporary until they choose their own. */
export function insertInvitedUser(
  tx: Transaction,
  input: { email: string; name: string; role: Role; passwordHash: string },
): Promise<AdminUserRow> {
  return tx.user.create({ data: { ...input, passwordTemporary: true }, select: adminUserSelect });
}

/** Names for ids (audit actors); unknown ids are simply missing from the map. */
export async function findUserNames(ids: string[]): Promise<Map<string, { name: string; email: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db().user.findMany({
    where: { id: { in: ids } },
    select: { id: true, name: true, email: true },
  });
  return new Map(rows.map((row) => [row.id, { name: row.name, email: row.email }]));
}

// ——— The signed-in user's own account ———

/** What the user's own pages show beyond the session: the password's state and their theme. */
export function findOwnAccount(id: string) {
  return db().user.findUnique({
    where: { id },
    select: { passwordHash: true, passwordTemporary: true, theme: true },
  });
}

/**
 * Stores the user's theme. A display preference, not configuration: no audit event, and
 * the admin console's optimistic `version` is left alone (an admin's open edit stays valid).
 * Returns null when the user is gone or deactivated.
 */
export async function setOwnTheme(id: string, theme: Theme): Promise<Theme | null> {
  const updated = await db().user.updateMany({ where: { id, active: true }, data: { theme } });
  return updated.count === 1 ? theme : null;
}

// ——— Self-service password ———

export function findPasswordState(id: string) {
  return db().user.findUnique({
    where: { id },
    select: { id: true, email: true, passwordHash: true, passwordTemporary: true, active: true },
  });
}

/** Returns the new session version, or null when the password changed meanwhile. */
export async function setOwnPassword(
  tx: Transaction,
  input: { id: string; previousHash: string; passwordHash: string },
): Promise<number | null> {
  // Guarded by the hash that was verified, so two concurrent changes cannot both win.
  const updated = await tx.user.updateMany({
    where: { id: input.id, passwordHash: input.previousHash },
    data: {
      passwordHash: input.passwordHash,
      passwordTemporary: false,
      version: { increment: 1 },
      // Every other session ends; the caller's own is given the new version.
      sessionVersion: { increment: 1 },
    },
  });
  if (updated.count !== 1) return null;
  await notifySessionsEnded(tx, input.id);
  const user = await tx.user.findUniqueOrThrow({ where: { id: input.id }, select: { sessionVersion: true } });
  return user.sessionVersion;
}

/** Ends every session of the user ("sign out everywhere"); returns the new version. */
export async function endUserSessions(tx: Transaction, id: string): Promise<number | null> {
  const rows = await tx.$queryRawUnsafe<{ sessionVersion: number }[]>(
    `UPDATE "User" SET "sessionVersion" = "sessionVersion" + 1, "updatedAt" = now() WHERE id = $1
     RETURNING "sessionVersion"`,
    id,
  );
  if (!rows[0]) return null;
  await notifySessionsEnded(tx, id);
  return rows[0].sessionVersion;
}

export function findAdminUserByEmail(email: string, tx: Transaction = db()): Promise<AdminUserRow | null> {
  return tx.user.findUnique({ where: { email }, select: adminUserSelect });
}

/** A unique-constraint violation (e.g. two admins inviting the same email at once). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** Ids of users whose name or email contains the text (for the audit viewer's actor filter). */
export async function findUserIdsMatching(text: string, limit = 200): Promise<string[]> {
  const rows = await db().user.findMany({
    where: {
      OR: [{ email: { contains: text, mode: "insensitive" } }, { name: { contains: text, mode: "insensitive" } }],
    },
    take: limit,
    select: { id: true },
  });
  return rows.map((row) => row.id);
}
