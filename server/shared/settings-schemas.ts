/** Zod schema of the approval settings form, shared by the admin UI and the server. */
import { z } from "zod";
import { int32, text } from "./text";

export const MAX_EXPIRY_MINUTES = 60 * 24 * 30;

export const approvalSettingsSchema = z.object({
  expectedVersion: int32(),
  defaultRequiredApprovals: z
    .number({ error: "Enter a number" })
    .int("A whole number")
    .min(1, "At least 1: an approval needs someone to give it")
    .max(10, "At most 10"),
  defaultExpiryMinutes: z
    .number({ error: "Enter a number" })
    .int("A whole number of minutes")
    .min(5, "At least 5 minutes")
    .max(MAX_EXPIRY_MINUTES, "At most 30 days"),
  sensitiveReadsNeedApproval: z.boolean(),
  /** SQL tables (optionally schema-qualified) whose reading is a sensitive read. */
  sensitiveTables: z
    .array(
      text(200, { trim: true }).regex(
        /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
        "Use a table name such as payment_methods or billing.cards",
      ),
    )
    .max(100, "At most 100 tables")
    .default([]),
  destructiveAutoRunConfirmed: z.boolean(),
  confirmation: text(200).optional(),
  /** Let run_shell run without an OS sandbox where none is available; absent: unchanged. */
  unsandboxedShellConfirmed: z.boolean().optional(),
  unsandboxedShellConfirmation: text(200).optional(),
});

export type ApprovalSettingsInput = z.infer<typeof approvalSettingsSchema>;
