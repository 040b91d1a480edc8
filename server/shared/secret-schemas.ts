/** Zod schemas of stored secrets' names and values, shared by the admin UI and the secret store. */
import { text } from "./text";

/** Upper-case with underscores, like environment variables: what the demo model and admins type. */
export const secretName = text(128).regex(
  /^[A-Z][A-Z0-9_]{0,127}$/,
  "expected an upper-case name such as STRIPE_API_KEY",
);

export const secretValue = text(64 * 1024).min(1, "a secret cannot be empty");
