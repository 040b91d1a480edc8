/** Zod schemas of stored policy rules, shared by the server and the admin UI's form. */
import { z } from "zod";
import { CONDITION_OPERATORS_LIST } from "./policy-operators";
import { DECISIONS, RISK_CLASSES } from "./risk";
import { text } from "./text";

export const conditionPathSchema = text(200, { trim: true }).regex(
  /^(args|facts)(\.[A-Za-z0-9_-]+)+$|^actor\.role$/,
  "Use args.<name>, facts.<name> or actor.role",
);

/** Compared with numbers in tool arguments; JSON's safe range, as rules are stored in jsonb. */
const conditionNumber = z.number().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const ruleConditionSchema = z
  .object({
    path: conditionPathSchema,
    operator: z.enum(CONDITION_OPERATORS_LIST),
    value: z.union([text(500), conditionNumber, z.boolean(), z.array(text(200)).max(50)]).optional(),
  })
  .superRefine((condition, context) => {
    const { operator, value } = condition;
    if (operator === "exists") return;
    if (value === undefined) context.addIssue({ code: "custom", path: ["value"], message: "A value is required" });
    if (operator === "in" && !Array.isArray(value)) {
      context.addIssue({ code: "custom", path: ["value"], message: "`in` needs a list of values" });
    }
    if ((operator === "glob" || operator === "regex") && typeof value !== "string") {
      context.addIssue({ code: "custom", path: ["value"], message: "A pattern is required" });
    }
    if (operator === "regex" && typeof value === "string") {
      try {
        new RegExp(value, "u");
      } catch (error) {
        context.addIssue({
          code: "custom",
          path: ["value"],
          message: `Invalid regular expression: ${(error as Error).message}`,
        });
      }
    }
    if (["lt", "lte", "gt", "gte"].includes(operator) && !Number.isFinite(Number(value))) {
      context.addIssue({ code: "custom", path: ["value"], message: "A number is required" });
    }
  });

const ruleEffectFields = {
  riskClass: z.enum(RISK_CLASSES).optional(),
  decision: z.enum(DECISIONS).optional(),
  requiredApprovals: z.number().int().min(1, "At least 1").max(10, "At most 10").optional(),
  /** Allow network access (run_shell's sandbox shares the host's network); needs the typed confirmation. */
  network: z.boolean().optional(),
};

const changesSomething = [
  (effect: { riskClass?: unknown; decision?: unknown; requiredApprovals?: unknown; network?: boolean }) =>
    effect.riskClass !== undefined ||
    effect.decision !== undefined ||
    effect.requiredApprovals !== undefined ||
    effect.network === true,
  { message: "A rule must change the class, the decision, the number of approvals or network access" },
] as const;

/** An effect as an admin submits it: a confirmation flag sent by a client is dropped. */
export const ruleEffectSchema = z.object(ruleEffectFields).refine(...changesSomething);

/** An effect as stored: the admin service adds `confirmedLowering` when the admin typed the confirmation. */
export const storedRuleEffectSchema = z
  .object({ ...ruleEffectFields, confirmedLowering: z.literal(true).optional() })
  .refine(...changesSomething);

/**
 * What an admin types to save a rule that lets calls run with less review than their
 * class asks for, or with network access: the tool's name, as for lowering a tool's
 * class, or this for `*`.
 */
export const EVERY_TOOL_CONFIRMATION = "every tool";

export function ruleLoweringConfirmation(toolName: string): string {
  return toolName === "*" ? EVERY_TOOL_CONFIRMATION : toolName;
}

export const policyRuleInputSchema = z.object({
  toolName: text(128, { trim: true }).min(1, "Pick a tool or *"),
  description: text(200, { trim: true }).min(1, "Describe the rule"),
  conditions: z.array(ruleConditionSchema).max(10),
  effect: ruleEffectSchema,
  enabled: z.boolean().default(true),
});

export type PolicyRuleInput = z.infer<typeof policyRuleInputSchema>;
