/** First-run data: the demo users (one per role). Idempotent: existing users are left as they are. */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import { createUser, findSessionUserByEmail } from "../db/users";
import { DEMO_USERS } from "./demo-users";
import { hashPassword } from "./password";

export async function seedDemoUsers(): Promise<number> {
  let created = 0;
  for (const user of DEMO_USERS) {
    const exists = await findSessionUserByEmail(user.email);
    if (exists) continue;
    const passwordHash = await hashPassword(user.password);
    await inTransaction(async (tx) => {
      const row = await createUser({ email: user.email, name: user.name, role: user.role, passwordHash }, tx);
      await recordAuditEvent(tx, {
        actorId: null,
        action: "user.seeded",
        targetType: "user",
        targetId: row.id,
        data: { email: user.email, role: user.role },
      });
    });
    created++;
  }
  return created;
}
