/**
 * What admins do to people: list and search, invite with a temporary password, change a
 * role, deactivate or reactivate, reset a password. Every change is one transaction that
 * locks the active admins and the rows involved, checks the version the admin saw (a
 * stale edit is a conflict, never a silent overwrite), keeps at least one active admin,
 * refuses raising one's own role, and records an audit event. A role change, deactivation
 * or reset ends the user's sessions; deactivation or demotion also voids their open
 * approval requests and cancels their unfinished runs, in the same transaction. Role checks of the caller
 * belong to the adminProcedure; the actor is re-checked here under the lock, so two admins
 * demoting each other at once cannot leave nobody in charge.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { voidOpenRequestsOfRun } from "../db/approvals";
import { findActiveRunIdsOfUser, lockRun, requestRunCancel } from "../db/runs";
import { inTransaction, type Transaction } from "../db/transaction";
import {
  type AdminUserRow,
  countActiveAdmins,
  findAdminUserByEmail,
  insertInvitedUser,
  isUniqueViolation,
  listUsersForAdmin,
  lockAdminsAnd,
  type UserListFilter,
  updateUserIfVersion,
} from "../db/users";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";
import { ROLE_RANK } from "../shared/user-schemas";
import { hashPassword } from "./password";
import { normalizeEmail } from "./sign-in";

export type { AdminUserRow } from "../db/users";
export { countActiveAdmins } from "../db/users";

export async function listUsers(filter: UserListFilter) {
  const [page, activeAdmins] = await Promise.all([listUsersForAdmin(filter), countActiveAdmins()]);
  return { ...page, activeAdmins };
}

export async function inviteUser(options: {
  email: string;
  name: string;
  role: Role;
  temporaryPassword: string;
  actorId: string;
}): Promise<AdminUserRow> {
  const email = normalizeEmail(options.email);
  const passwordHash = await hashPassword(options.temporaryPassword);
  const exists = () => new AirlockError("user:exists", `There is already an account for ${email}.`);
  try {
    return await inTransaction(async (tx) => {
      if (await findAdminUserByEmail(email, tx)) throw exists();
      const user = await insertInvitedUser(tx, { email, name: options.name.trim(), role: options.role, passwordHash });
      await recordAuditEvent(tx, {
        actorId: options.actorId,
        action: "user.created",
        targetType: "user",
        targetId: user.id,
        data: { email, name: user.name, role: user.role, mustChooseNew: true },
      });
      return user;
    });
  } catch (error) {
    // Two admins inviting the same address at once: the database's unique index decides.
    if (isUniqueViolation(error)) throw exists();
    throw error;
  }
}

interface UserChange {
  role?: Role;
  active?: boolean;
  passwordHash?: string;
  passwordTemporary?: boolean;
}

/**
 * What the user's runs were doing stops: open requests are voided (so a reviewer's later
 * approval is refused and nothing they asked for executes) and unfinished runs are
 * cancelled — a running one by its worker, at once. Each is audited with the admin as actor.
 */
async function endUserActivity(tx: Transaction, options: { userId: string; actorId: string; why: string }) {
  for (const runId of await findActiveRunIdsOfUser(options.userId, tx)) {
    // Run first, then its requests: the order the engine and deciders lock in.
    await lockRun(runId, tx);
    for (const requestId of await voidOpenRequestsOfRun(tx, runId, options.why)) {
      await recordAuditEvent(tx, {
        actorId: options.actorId,
        action: "approval.voided",
        targetType: "approval",
        targetId: requestId,
        data: { why: options.why },
      });
    }
    const status = await requestRunCancel(runId, tx, `The run was cancelled: ${options.why}.`);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "run.cancelled",
      targetType: "run",
      targetId: runId,
      data: { why: options.why, status },
    });
  }
}

async function changeUser(options: {
  userId: string;
  expectedVersion: number;
  actorId: string;
  change: UserChange;
  action: string;
  describe: (before: { role: Role; active: boolean }) => Record<string, unknown>;
}): Promise<AdminUserRow> {
  return inTransaction(async (tx) => {
    const locked = await lockAdminsAnd(tx, [options.userId, options.actorId]);
    const actor = locked.find((user) => user.id === options.actorId);
    if (actor?.role !== "ADMIN" || !actor.active) {
      throw new AirlockError("auth:forbidden", "Only active admins can change users.");
    }
    const target = locked.find((user) => user.id === options.userId);
    if (!target) throw new AirlockError("admin:not-found", "This user no longer exists.");
    if (target.version !== options.expectedVersion) {
      throw new AirlockError(
        "admin:conflict",
        "This user was changed by someone else since you opened it. Reload to see their change, then try again.",
      );
    }
    const nextRole = options.change.role ?? target.role;
    const nextActive = options.change.active ?? target.active;
    if (options.userId === options.actorId) {
      if (ROLE_RANK[nextRole] > ROLE_RANK[target.role]) {
        throw new AirlockError("admin:self-change", "You cannot raise your own role; ask another admin.");
      }
      if (!nextActive) {
        throw new AirlockError("admin:self-change", "You cannot deactivate your own account; ask another admin.");
      }
    }
    const removesAnAdmin = target.role === "ADMIN" && target.active && !(nextRole === "ADMIN" && nextActive);
    if (removesAnAdmin) {
      const otherAdmins = locked.filter((user) => user.id !== target.id && user.role === "ADMIN" && user.active);
      if (otherAdmins.length === 0) {
        throw new AirlockError(
          "admin:last-admin",
          "This is the last active admin. Make someone else an admin first, so the console is never left without one.",
        );
      }
    }
    const deactivated = target.active && !nextActive;
    const demoted = ROLE_RANK[nextRole] < ROLE_RANK[target.role];
    const updated = await updateUserIfVersion(tx, {
      id: options.userId,
      expectedVersion: options.expectedVersion,
      data: options.change,
      endSessions: deactivated || nextRole !== target.role || options.change.passwordHash !== undefined,
    });
    if (!updated) throw new AirlockError("admin:conflict", "This user was changed by someone else. Reload.");
    if (deactivated || demoted) {
      await endUserActivity(tx, {
        userId: options.userId,
        actorId: options.actorId,
        why: deactivated ? "the requester was deactivated" : `the requester was demoted to ${nextRole}`,
      });
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: options.action,
      targetType: "user",
      targetId: options.userId,
      data: { ...options.describe({ role: target.role, active: target.active }), email: updated.email },
    });
    return updated;
  });
}

export function changeUserRole(options: { userId: string; role: Role; expectedVersion: number; actorId: string }) {
  return changeUser({
    ...options,
    change: { role: options.role },
    action: "user.role-changed",
    describe: (before) => ({ before: before.role, after: options.role }),
  });
}

export function setUserActive(options: { userId: string; active: boolean; expectedVersion: number; actorId: string }) {
  return changeUser({
    ...options,
    change: { active: options.active },
    action: options.active ? "user.reactivated" : "user.deactivated",
    describe: (before) => ({ before: before.active, after: options.active }),
  });
}

export async function resetUserPassword(options: {
  userId: string;
  temporaryPassword: string;
  expectedVersion: number;
  actorId: string;
}) {
  const passwordHash = await hashPassword(options.temporaryPassword);
  return changeUser({
    ...options,
    change: { passwordHash, passwordTemporary: true },
    action: "user.password-reset",
    describe: () => ({ mustChooseNew: true }),
  });
}
