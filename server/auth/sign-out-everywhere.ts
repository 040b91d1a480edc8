/** "Sign out everywhere": every session of the user ends at once, this one included; audited. */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import { endUserSessions } from "../db/users";
import { AirlockError } from "../errors";

export function signOutEverywhere(options: { userId: string }): Promise<void> {
  return inTransaction(async (tx) => {
    const sessionVersion = await endUserSessions(tx, options.userId);
    if (sessionVersion === null) throw new AirlockError("auth:unauthenticated", "Your account no longer exists.");
    await recordAuditEvent(tx, {
      actorId: options.userId,
      action: "user.signed-out-everywhere",
      targetType: "user",
      targetId: options.userId,
      data: { sessionVersion },
    });
  });
}
