/** Zod schemas of stored secrets' names and values, shared by the admin UI and the secret store. */
import { z } from "zod";

/** Upper-case with underscores, like environment variables: what the demo model and admins type. */
export const secretName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,127}$/, "expected an upper-case name such as STRIPE_API_KEY");

export const secretValue = z
  .string()
  .min(1, "a secret cannot be empty")
  .max(64 * 1024);
