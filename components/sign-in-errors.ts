/**
 * What the sign-in page says for the `error` in its URL. That parameter is anyone's text
 * (and next-auth puts a thrown message there), so only known codes and our own
 * rate-limit message are shown; anything else gets a general message, never echoed.
 */
const ERROR_TEXT: Record<string, string> = {
  CredentialsSignin: "Wrong email or password.",
  SessionRequired: "Sign in to continue.",
  Inactive: "Your account is deactivated. Ask an admin.",
  NoEmail: "Your provider did not share an email address.",
  OAuthSignin: "Could not start sign-in with that provider.",
  OAuthCallback: "The provider's answer could not be verified. Try again.",
  // server/auth/sign-in.ts: SIGN_IN_ERROR
  DatabaseUnavailable: "Airlock cannot reach its database right now; it is probably restarting. Try again in a moment.",
  SignInFailed: "Sign-in failed on the server. Try again; if it keeps failing, tell an admin.",
};

/** The one failure the server writes in words (server/auth/sign-in.ts: SignInRateLimitedError). */
const RATE_LIMITED = /^Too many failed sign-ins for this account\. Try again in \d+ minutes?\.$/;

export function describeSignInError(error: string | undefined): string | undefined {
  if (!error) return undefined;
  if (RATE_LIMITED.test(error)) return error;
  return ERROR_TEXT[error] ?? "Sign-in failed. Try again.";
}
