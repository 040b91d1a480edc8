import { z } from "zod";
import { cancelApprovalRequest } from "../../approvals/cancel-approval";
import { decideApproval } from "../../approvals/decide-approval";
import { inboxDetail, listInbox, pendingCount } from "../../approvals/inbox";
import { watchApprovals } from "../../approvals/watch";
import { AirlockError } from "../../errors";
import { RISK_CLASSES } from "../../shared/risk";
import { int32, jsonValue, recordId, text } from "../../shared/text";
import { logger } from "../../telemetry/logger";
import { defaultToolRegistry } from "../../tools/default-registry";
import { protectedProcedure, reviewerProcedure, router, whileSessionLasts } from "../trpc";

const id = recordId;
const STATUSES = ["PENDING", "APPROVED", "CONSUMED", "REJECTED", "EXPIRED", "CANCELLED", "VOIDED"] as const;
const reason = text(2_000, { trim: true }).min(1, "Give a reason: the agent and the requester will see it");

const decision = z.discriminatedUnion("verdict", [
  z.object({
    verdict: z.literal("approve"),
    reason: text(2_000, { trim: true }).optional(),
    editedArgs: jsonValue.optional(),
  }),
  z.object({ verdict: z.literal("reject"), reason }),
]);

export const approvalsRouter = router({
  list: reviewerProcedure
    .input(
      z
        .object({
          statuses: z.array(z.enum(STATUSES)).max(7).optional(),
          riskClasses: z.array(z.enum(RISK_CLASSES)).max(4).optional(),
          toolName: text(128).optional(),
          requesterId: recordId.optional(),
          olderThanMinutes: int32(0, 525_600).optional(),
          newerThanMinutes: int32(0, 525_600).optional(),
          limit: int32(1, 200).default(100),
        })
        .default({ limit: 100 }),
    )
    .query(({ input }) => listInbox(input, defaultToolRegistry())),
  get: reviewerProcedure.input(z.object({ id })).query(({ input }) => inboxDetail(input.id, defaultToolRegistry())),
  pendingCount: reviewerProcedure.query(() => pendingCount()),
  decide: reviewerProcedure.input(z.object({ requestId: id }).and(decision)).mutation(({ ctx, input }) =>
    decideApproval({
      requestId: input.requestId,
      reviewerId: ctx.user.id,
      decision:
        input.verdict === "reject"
          ? { verdict: "reject", reason: input.reason }
          : {
              verdict: "approve",
              ...(input.reason ? { reason: input.reason } : {}),
              ...(input.editedArgs !== undefined ? { editedArgs: input.editedArgs } : {}),
            },
      tools: defaultToolRegistry(),
    }),
  ),
  /** Each request is authorized, bound and consumed on its own; one failing does not affect the others. */
  decideMany: reviewerProcedure
    .input(
      z.object({
        requestIds: z.array(id).min(1).max(100),
        verdict: z.enum(["approve", "reject"]),
        reason: text(2_000, { trim: true }).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.verdict === "reject" && !input.reason) {
        throw new AirlockError(
          "request:invalid",
          "Give a reason for rejecting: the agent and the requester will see it.",
        );
      }
      const results = [];
      for (const requestId of [...new Set(input.requestIds)]) {
        try {
          const outcome = await decideApproval({
            requestId,
            reviewerId: ctx.user.id,
            decision:
              input.verdict === "reject" ? { verdict: "reject", reason: input.reason ?? "" } : { verdict: "approve" },
            tools: defaultToolRegistry(),
          });
          results.push({
            requestId,
            ok: true as const,
            status: outcome.status,
            approvals: outcome.approvals,
            requiredApprovals: outcome.requiredApprovals,
          });
        } catch (error) {
          results.push({
            requestId,
            ok: false as const,
            error: error instanceof AirlockError ? error.message : "Something went wrong with this request.",
          });
          if (!(error instanceof AirlockError)) logger.error("batch decision failed", { requestId, error });
        }
      }
      return results;
    }),
  /** The requester withdraws their own pending request. */
  cancel: protectedProcedure
    .input(z.object({ requestId: id }))
    .mutation(({ ctx, input }) => cancelApprovalRequest({ requestId: input.requestId, userId: ctx.user.id })),
  watch: reviewerProcedure.subscription(({ ctx, signal }) => whileSessionLasts(ctx, signal, watchApprovals)),
});
