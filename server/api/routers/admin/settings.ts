/** Admin: approval settings — default expiry and approvals, and which classes need a reviewer. */
import { z } from "zod";
import {
  AUTO_RUN_CONFIRMATION,
  getPolicySettings,
  UNSANDBOXED_SHELL_CONFIRMATION,
  updatePolicySettings,
} from "../../../approvals/policy-admin";
import { approvalSettingsSchema } from "../../../shared/settings-schemas";
import { sandboxStatus } from "../../../tools/shell/sandbox";
import { adminProcedure, router } from "../../trpc";

export const adminSettingsRouter = router({
  get: adminProcedure
    .output(
      z.object({
        version: z.number(),
        defaultRequiredApprovals: z.number(),
        defaultExpiryMinutes: z.number(),
        destructiveAutoRunConfirmed: z.boolean(),
        sensitiveReadsNeedApproval: z.boolean(),
        sensitiveTables: z.array(z.string()),
        updatedAt: z.date(),
        updatedBy: z.string().nullable(),
        autoRunConfirmation: z.string(),
        unsandboxedShellConfirmed: z.boolean(),
        unsandboxedShellConfirmation: z.string(),
        /** Whether bubblewrap can start a sandbox on this server, and why not. */
        shellSandbox: z.object({ available: z.boolean(), reason: z.string().nullable() }),
      }),
    )
    .query(async () => {
      const [settings, sandbox] = await Promise.all([getPolicySettings(), sandboxStatus()]);
      return {
        ...settings,
        autoRunConfirmation: AUTO_RUN_CONFIRMATION,
        unsandboxedShellConfirmation: UNSANDBOXED_SHELL_CONFIRMATION,
        shellSandbox: { available: sandbox.available, reason: sandbox.available ? null : sandbox.reason },
      };
    }),
  update: adminProcedure
    .input(approvalSettingsSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await updatePolicySettings({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
});
