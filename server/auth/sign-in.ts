/**
 * Credential sign-in: argon2 verification, rate limiting per email across instances
 * (failures are rows in Postgres), and an audit event for every attempt.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import {
  clearSignInFailures,
  countRecentSignInFailures,
  findUserForPasswordSignIn,
  recordSignInFailure,
  type SessionUser,
} from "../db/users";
import { env } from "../env";
import { dummyPasswordHash, verifyPassword } from "./password";

export class SignInRateLimitedError extends Error {
  constructor(readonly retryAfterMinutes: number) {
    super(
      `Too many failed sign-ins for this account. Try again in ${retryAfterMinutes} minute${retryAfterMinutes === 1 ? "" : "s"}.`,
    );
    this.name = "SignInRateLimitedError";
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

async function audit(actorId: string | null, action: string, email: string) {
  await inTransaction((tx) =>
    recordAuditEvent(tx, { actorId, action, targetType: "user", targetId: actorId, data: { email } }),
  );
}

/** Returns the user, null for wrong credentials; throws when rate-limited. */
export async function authenticateWithPassword(input: {
  email: string;
  password: string;
}): Promise<SessionUser | null> {
  const email = normalizeEmail(input.email);
  const { SIGNIN_MAX_FAILURES, SIGNIN_WINDOW_MINUTES } = env();
  const windowMs = SIGNIN_WINDOW_MINUTES * 60_000;
  const recent = await countRecentSignInFailures(email, new Date(Date.now() - windowMs));
  if (recent.count >= SIGNIN_MAX_FAILURES) {
    const retryAt = (recent.oldest?.getTime() ?? Date.now()) + windowMs;
    await audit(null, "user.sign-in-throttled", email);
    throw new SignInRateLimitedError(Math.max(1, Math.ceil((retryAt - Date.now()) / 60_000)));
  }
  const user = await findUserForPasswordSignIn(email);
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  if (!user || !valid || !user.active || !user.passwordHash) {
    await recordSignInFailure(email);
    await audit(user?.id ?? null, "user.sign-in-failed", email);
    return null;
  }
  await clearSignInFailures(email);
  await audit(user.id, "user.signed-in", email);
  const { passwordHash: _omitted, ...sessionUser } = user;
  return sessionUser;
}
