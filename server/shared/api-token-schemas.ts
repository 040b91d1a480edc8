/** Zod schemas for per-user API tokens: shared by the account page's form and the server. */
import { z } from "zod";
import { recordId, text } from "./text";

/** Every token expires: at least a day, at most a year after it is created. */
export const API_TOKEN_MIN_DAYS = 1;
export const API_TOKEN_MAX_DAYS = 365;
/** Active (not revoked, not expired) tokens one person may hold at once. */
export const API_TOKEN_ACTIVE_LIMIT = 50;

export const apiTokenNameSchema = text(100, { trim: true }).min(1, "Give the token a name");

export const createApiTokenSchema = z.object({
  name: apiTokenNameSchema,
  expiresInDays: z
    .number({ error: "Enter a number of days" })
    .int("A whole number of days")
    .min(API_TOKEN_MIN_DAYS, `At least ${API_TOKEN_MIN_DAYS} day`)
    .max(API_TOKEN_MAX_DAYS, `At most ${API_TOKEN_MAX_DAYS} days`),
});

export type CreateApiTokenInput = z.infer<typeof createApiTokenSchema>;

export const revokeApiTokenSchema = z.object({ tokenId: recordId });
