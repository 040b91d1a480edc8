/**
 * Credential sign-in: argon2 verification behind the password-check throttle (per email,
 * counted atomically before the check), and an audit event for every attempt.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { isDatabaseUnavailable } from "../db/errors";
import { inTransaction } from "../db/transaction";
import { findUserForPasswordSignIn, type SessionUser } from "../db/users";
import { logger } from "../telemetry/logger";
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

/** The sign-in page's codes for failures other than wrong credentials (components/sign-in-form.tsx). */
export const SIGN_IN_ERROR = { databaseUnavailable: "DatabaseUnavailable", failed: "SignInFailed" } as const;

/** What the sign-in page may be told about a failed attempt: our own message or a code. */
export function signInErrorCode(error: unknown): string {
  if (error instanceof SignInRateLimitedError) return error.message;
  if (isDatabaseUnavailable(error)) return SIGN_IN_ERROR.databaseUnavailable;
  logger.error("sign-in failed", { error });
  return SIGN_IN_ERROR.failed;
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
