/**
 * Credential sign-in: argon2 verification behind the password-check throttle (per email,
 * counted atomically before the check), and an audit event for every attempt.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction } from "../db/transaction";
import { findUserForPasswordSignIn, type SessionUser } from "../db/users";
import { dummyPasswordHash, verifyPassword } from "./password";
import { PasswordChecksExhaustedError, passwordCheckSucceeded, reservePasswordCheck } from "./password-throttle";

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
  try {
    await reservePasswordCheck({ email, kind: "SIGN_IN" });
  } catch (error) {
    if (!(error instanceof PasswordChecksExhaustedError)) throw error;
    await audit(null, "user.sign-in-throttled", email);
    throw new SignInRateLimitedError(error.retryAfterMinutes);
  }
  const user = await findUserForPasswordSignIn(email);
  const valid = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), input.password);
  if (!user || !valid || !user.active || !user.passwordHash) {
    await audit(user?.id ?? null, "user.sign-in-failed", email);
    return null;
  }
  await passwordCheckSucceeded({ email, kind: "SIGN_IN" });
  await audit(user.id, "user.signed-in", email);
  const { passwordHash: _omitted, ...sessionUser } = user;
  return sessionUser;
}
