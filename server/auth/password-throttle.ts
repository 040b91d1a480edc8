/**
 * The brute-force throttle in front of every password check (sign-in, password change):
 * each check is counted and recorded before the password is verified, atomically across
 * parallel requests and instances (see reservePasswordAttempt), so no more than the limit
 * of checks run per email and kind within the window, however many arrive at once.
 */
import { clearPasswordAttempts, reservePasswordAttempt } from "../db/users";
import { env } from "../env";

export type PasswordCheckKind = "SIGN_IN" | "PASSWORD_CHANGE";

export class PasswordChecksExhaustedError extends Error {
  constructor(readonly retryAfterMinutes: number) {
    super(`Try again in ${retryAfterMinutes} minute${retryAfterMinutes === 1 ? "" : "s"}.`);
    this.name = "PasswordChecksExhaustedError";
  }
}

/** Reserves one password check; throws PasswordChecksExhaustedError once the limit is reached. */
export async function reservePasswordCheck(options: { email: string; kind: PasswordCheckKind }): Promise<void> {
  const { SIGNIN_MAX_FAILURES, SIGNIN_WINDOW_MINUTES } = env();
  const windowMs = SIGNIN_WINDOW_MINUTES * 60_000;
  const reservation = await reservePasswordAttempt({
    email: options.email,
    kind: options.kind,
    since: new Date(Date.now() - windowMs),
    limit: SIGNIN_MAX_FAILURES,
  });
  if (!reservation.reserved) {
    const retryAt = reservation.oldest.getTime() + windowMs;
    throw new PasswordChecksExhaustedError(Math.max(1, Math.ceil((retryAt - Date.now()) / 60_000)));
  }
}

/** After a successful check: the failed ones are forgotten. A failed check keeps its reservation. */
export function passwordCheckSucceeded(options: { email: string; kind: PasswordCheckKind }): Promise<void> {
  return clearPasswordAttempts(options.email, options.kind);
}
