/**
 * A signed-in user replaces their password — required after an admin's invite or reset,
 * which leave a temporary one. The current password is checked, the change is audited,
 * and a concurrent change (another tab, an admin's reset) makes this one fail, not race.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import { findPasswordState, setOwnPassword } from "../db/users";
import { AirlockError } from "../errors";
import { hashPassword, verifyPassword } from "./password";

export async function changeOwnPassword(options: {
  userId: string;
  currentPassword: string;
  newPassword: string;
}): Promise<void> {
  const state = await findPasswordState(options.userId);
  if (!state?.active) throw new AirlockError("auth:inactive", "Your account is deactivated.");
  if (!state.passwordHash) {
    throw new AirlockError(
      "request:invalid",
      "You sign in through an external provider; there is no Airlock password to change.",
    );
  }
  if (!(await verifyPassword(state.passwordHash, options.currentPassword))) {
    throw new AirlockError("user:wrong-password", "Your current password is not right.");
  }
  if (options.currentPassword === options.newPassword) {
    throw new AirlockError("request:invalid", "Choose a new password, different from the current one.");
  }
  const previousHash = state.passwordHash;
  const passwordHash = await hashPassword(options.newPassword);
  await inTransaction(async (tx) => {
    if (!(await setOwnPassword(tx, { id: options.userId, previousHash, passwordHash }))) {
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
      data: { wasTemporary: state.passwordTemporary },
    });
  });
}
