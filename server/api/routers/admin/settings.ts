/** Admin: approval settings — default expiry and approvals, and which classes need a reviewer. */
import { z } from "zod";
import { AUTO_RUN_CONFIRMATION, getPolicySettings, updatePolicySettings } from "../../../approvals/policy-admin";
import { approvalSettingsSchema } from "../../../shared/settings-schemas";
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
      }),
    )
    .query(async () => ({ ...(await getPolicySettings()), autoRunConfirmation: AUTO_RUN_CONFIRMATION })),
  update: adminProcedure
    .input(approvalSettingsSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await updatePolicySettings({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
});
