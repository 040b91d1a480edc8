/**
 * A signed-in user replaces their password — required after an admin's invite or reset,
 * which leave a temporary one. The current password is checked behind the same throttle
 * as sign-in (its own budget per account), the change is audited, a concurrent change
 * (another tab, an admin's reset) makes this one fail, not race, and every other session
 * of the user ends: the new session version is returned for the caller's own.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import { findPasswordState, setOwnPassword } from "../db/users";
import { AirlockError } from "../errors";
import { hashPassword, verifyPassword } from "./password";
import { PasswordChecksExhaustedError, passwordCheckSucceeded, reservePasswordCheck } from "./password-throttle";

export async function changeOwnPassword(options: {
  userId: string;
  currentPassword: string;
  newPassword: string;
}): Promise<{ sessionVersion: number }> {
  const state = await findPasswordState(options.userId);
  if (!state?.active) throw new AirlockError("auth:inactive", "Your account is deactivated.");
  if (!state.passwordHash) {
    throw new AirlockError(
      "request:invalid",
      "You sign in through an external provider; there is no Airlock password to change.",
    );
  }
  const attempt = { email: state.email, kind: "PASSWORD_CHANGE" } as const;
  try {
    await reservePasswordCheck(attempt);
  } catch (error) {
    if (!(error instanceof PasswordChecksExhaustedError)) throw error;
    await inTransaction((tx) =>
      recordAuditEvent(tx, {
        actorId: options.userId,
        action: "user.password-change-throttled",
        targetType: "user",
        targetId: options.userId,
        data: {},
      }),
    );
    throw new AirlockError("auth:rate-limited", `Too many wrong current passwords. ${error.message}`);
  }
  if (!(await verifyPassword(state.passwordHash, options.currentPassword))) {
    await inTransaction((tx) =>
      recordAuditEvent(tx, {
        actorId: options.userId,
        action: "user.password-change-failed",
        targetType: "user",
        targetId: options.userId,
        data: {},
      }),
    );
    throw new AirlockError("user:wrong-password", "Your current password is not right.");
  }
  await passwordCheckSucceeded(attempt);
  if (options.currentPassword === options.newPassword) {
    throw new AirlockError("request:invalid", "Choose a new password, different from the current one.");
  }
  const previousHash = state.passwordHash;
  const passwordHash = await hashPassword(options.newPassword);
  return inTransaction(async (tx) => {
    const sessionVersion = await setOwnPassword(tx, { id: options.userId, previousHash, passwordHash });
    if (sessionVersion === null) {
      throw new AirlockError(
        "admin:conflict",
        "Your password was changed elsewhere at the same time. Sign in again with the newest one.",
      );
    }
    await recordAuditEvent(tx, {
      actorId: options.userId,
      action: "user.password-changed",
      targetType: "user",
      targetId: options.userId,
      data: { wasTemporary: state.passwordTemporary, otherSessionsEnded: true },
    });
    return { sessionVersion };
  });
}
