/** Admin: the tools the agent has, their risk classes, and the "what would happen" simulator. */
import { z } from "zod";
import { listToolsForAdmin, setToolClass, simulateCall } from "../../../approvals/policy-admin";
import { DECISIONS, RISK_CLASSES, ROLES } from "../../../shared/risk";
import { int32, jsonValue, recordId, text } from "../../../shared/text";
import { defaultToolRegistry } from "../../../tools/default-registry";
import { adminProcedure, router } from "../../trpc";

const riskClass = z.enum(RISK_CLASSES);
const toolName = text(128, { trim: true }).min(1);

const adminTool = z.object({
  name: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  defaultRisk: riskClass,
  classifiesPerCall: z.boolean(),
  override: z.object({ riskClass, version: z.number(), updatedAt: z.date() }).nullable(),
  overrideVersion: z.number(),
  effectiveRisk: riskClass,
  /** Why the tool cannot run on this server (it is then DISABLED), e.g. no OS sandbox. */
  unavailableReason: z.string().nullable(),
  rules: z.array(z.string()),
});

const simulation = z.object({
  decision: z.enum(DECISIONS),
  riskClass: riskClass.nullish(),
  reasons: z.array(z.string()),
  requiredApprovals: z.number(),
  matchedRuleId: z.string().optional(),
  policyVersion: z.number(),
  facts: z.record(z.string(), z.unknown()),
  /** In the chosen conversation, this same call was rejected earlier: it would be refused with that reason. */
  rejectedEarlier: z.object({ requestId: z.string(), reason: z.string(), rejectedAt: z.date().nullable() }).nullable(),
});

export const adminToolsRouter = router({
  list: adminProcedure.output(z.array(adminTool)).query(() => listToolsForAdmin(defaultToolRegistry())),
  /** riskClass null: back to the tool's default class. */
  setClass: adminProcedure
    .input(
      z.object({
        toolName,
        riskClass: riskClass.nullable(),
        expectedVersion: int32(),
        confirmation: text(200).optional(),
      }),
    )
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await setToolClass({ ...input, tools: defaultToolRegistry(), actorId: ctx.user.id });
      return { ok: true as const };
    }),
  simulate: adminProcedure
    .input(
      z.object({ toolName, args: jsonValue, role: z.enum(ROLES).default("USER"), conversationId: recordId.optional() }),
    )
    .output(simulation)
    .mutation(({ input }) =>
      simulateCall({
        tools: defaultToolRegistry(),
        toolName: input.toolName,
        args: input.args,
        role: input.role,
        ...(input.conversationId ? { conversationId: input.conversationId } : {}),
      }),
    ),
});
