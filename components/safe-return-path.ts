/** Only a path on this site may be returned to after sign-in: an open redirect would be a phishing aid. */
export function safeReturnPath(value: string | null | undefined): string | null {
  return value?.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\") ? value : null;
}
