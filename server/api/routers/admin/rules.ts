/** Admin: argument-aware policy rules — create, edit, reorder, delete. */
import { z } from "zod";
import { createRule, editRule, listRulesForAdmin, removeRule, reorderRules } from "../../../approvals/policy-admin";
import { policyRuleInputSchema } from "../../../shared/policy-schemas";
import { int32, recordId, text } from "../../../shared/text";
import { defaultToolRegistry } from "../../../tools/default-registry";
import { adminProcedure, router } from "../../trpc";

const id = recordId;
const version = int32();

/** Conditions and effect as stored: a rule that no longer parses must still be listed (and deletable). */
const storedRule = z.object({
  id: z.string(),
  toolName: z.string(),
  description: z.string(),
  conditions: z.unknown(),
  effect: z.unknown(),
  enabled: z.boolean(),
  position: z.number(),
  version: z.number(),
});

const done = z.object({ ok: z.literal(true) });

/** Typed by the admin when the rule lets calls run with less review than their class asks for. */
const confirmation = text(200).optional();

export const adminRulesRouter = router({
  list: adminProcedure
    .output(z.object({ policyVersion: z.number(), rules: z.array(storedRule) }))
    .query(() => listRulesForAdmin()),
  create: adminProcedure
    .input(policyRuleInputSchema.extend({ confirmation }))
    .output(storedRule)
    .mutation(({ ctx, input: { confirmation, ...rule } }) =>
      createRule({ tools: defaultToolRegistry(), rule, confirmation, actorId: ctx.user.id }),
    ),
  update: adminProcedure
    .input(z.object({ id, expectedVersion: version, rule: policyRuleInputSchema, confirmation }))
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await editRule({ ...input, tools: defaultToolRegistry(), actorId: ctx.user.id });
      return { ok: true as const };
    }),
  delete: adminProcedure
    .input(z.object({ id, expectedVersion: version }))
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await removeRule({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  reorder: adminProcedure
    .input(z.object({ orderedIds: z.array(id).max(1_000), expectedPolicyVersion: version }))
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await reorderRules({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
});
