/**
 * The rule form's state and its validation, without React: what the admin typed (all
 * strings) becomes a candidate rule, checked with the same zod schema the server uses,
 * and each problem is placed next to the field that has it.
 */
import type { CONDITION_OPERATORS_LIST } from "@/server/shared/policy-operators";
import {
  type PolicyRuleInput,
  policyRuleInputSchema,
  ruleConditionSchema,
  ruleEffectSchema,
} from "@/server/shared/policy-schemas";
import type { Decision, RiskClass } from "@/server/shared/risk";

export type ConditionOperator = (typeof CONDITION_OPERATORS_LIST)[number];

export interface ConditionDraft {
  /** Stable identity for React lists. */
  key: string;
  path: string;
  operator: ConditionOperator;
  /** As typed; `in` takes a comma-separated list. */
  value: string;
}

export interface RuleDraft {
  toolName: string;
  description: string;
  conditions: ConditionDraft[];
  riskClass: RiskClass | "";
  decision: Decision | "";
  /** As typed; empty means "the default number". */
  requiredApprovals: string;
  /** Allow network access (run_shell): needs the typed confirmation when saved. */
  network: boolean;
  enabled: boolean;
}

export interface ConditionErrors {
  path?: string;
  operator?: string;
  value?: string;
}

export interface RuleErrors {
  toolName?: string;
  description?: string;
  effect?: string;
  requiredApprovals?: string;
  conditions: Record<number, ConditionErrors>;
  form?: string;
}

export type RuleValidation = { ok: true; rule: PolicyRuleInput } | { ok: false; errors: RuleErrors };

export const OPERATOR_LABEL: Record<ConditionOperator, string> = {
  equals: "equals",
  notEquals: "does not equal",
  in: "is one of",
  glob: "matches glob",
  regex: "matches regex",
  lt: "<",
  lte: "≤",
  gt: ">",
  gte: "≥",
  exists: "is present",
};

const NUMERIC: ConditionOperator[] = ["lt", "lte", "gt", "gte"];

let keyCounter = 0;
export function newConditionKey(): string {
  keyCounter++;
  return `condition-${keyCounter}`;
}

export function emptyCondition(): ConditionDraft {
  return { key: newConditionKey(), path: "", operator: "equals", value: "" };
}

export function emptyRuleDraft(toolName = ""): RuleDraft {
  return {
    toolName,
    description: "",
    conditions: [],
    riskClass: "",
    decision: "",
    requiredApprovals: "",
    network: false,
    enabled: true,
  };
}

/** The typed text as the value the schema expects for this operator. */
export function conditionValue(operator: ConditionOperator, text: string): string | number | string[] | undefined {
  if (operator === "exists") return undefined;
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (operator === "in") {
    return trimmed
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  }
  if (NUMERIC.includes(operator)) {
    const number = Number(trimmed);
    // A non-number stays text so the schema can say "A number is required".
    return Number.isFinite(number) ? number : trimmed;
  }
  // Patterns keep their spaces; comparisons of plain values do not need them.
  return operator === "glob" || operator === "regex" ? text : trimmed;
}

/** The candidate the server would receive, before validation. */
export function ruleFromDraft(draft: RuleDraft): unknown {
  const approvals = draft.requiredApprovals.trim();
  return {
    toolName: draft.toolName,
    description: draft.description,
    conditions: draft.conditions.map((condition) => {
      const value = conditionValue(condition.operator, condition.value);
      return { path: condition.path, operator: condition.operator, ...(value !== undefined ? { value } : {}) };
    }),
    effect: {
      ...(draft.riskClass ? { riskClass: draft.riskClass } : {}),
      ...(draft.decision ? { decision: draft.decision } : {}),
      ...(approvals !== "" ? { requiredApprovals: Number(approvals) } : {}),
      ...(draft.network ? { network: true } : {}),
    },
    enabled: draft.enabled,
  };
}

export function validateRuleDraft(draft: RuleDraft): RuleValidation {
  const errors: RuleErrors = { conditions: {} };
  let failed = false;
  const approvals = draft.requiredApprovals.trim();
  if (approvals !== "" && !/^\d+$/.test(approvals)) {
    errors.requiredApprovals = "A whole number from 1 to 10";
    failed = true;
  }
  const parsed = policyRuleInputSchema.safeParse(ruleFromDraft(draft));
  if (parsed.success && !failed) return { ok: true, rule: parsed.data };
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const [head, index, field] = issue.path;
    if (head === "conditions" && typeof index === "number") {
      const slot = errors.conditions[index] ?? {};
      errors.conditions[index] = slot;
      const key = field === "path" || field === "operator" ? field : "value";
      slot[key] ??= issue.message;
    } else if (head === "effect") {
      if (index === "requiredApprovals") errors.requiredApprovals ??= issue.message;
      else errors.effect ??= issue.message;
    } else if (head === "toolName") {
      errors.toolName ??= issue.message;
    } else if (head === "description") {
      errors.description ??= issue.message;
    } else {
      errors.form ??= issue.message;
    }
  }
  return { ok: false, errors };
}

export function hasErrors(errors: RuleErrors): boolean {
  return (
    Boolean(errors.toolName || errors.description || errors.effect || errors.requiredApprovals || errors.form) ||
    Object.keys(errors.conditions).length > 0
  );
}

function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  return value === undefined || value === null ? "" : String(value);
}

/** A stored rule back into the form (a stored rule that no longer parses opens as empty fields). */
export function draftFromRule(rule: {
  toolName: string;
  description: string;
  conditions: unknown;
  effect: unknown;
  enabled: boolean;
}): RuleDraft {
  const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
  const effect = ruleEffectSchema.safeParse(rule.effect);
  return {
    toolName: rule.toolName,
    description: rule.description,
    conditions: conditions.map((raw) => {
      const condition = ruleConditionSchema.safeParse(raw);
      const value = condition.success ? condition.data : { path: "", operator: "equals" as const, value: "" };
      return { key: newConditionKey(), path: value.path, operator: value.operator, value: valueText(value.value) };
    }),
    riskClass: effect.success ? (effect.data.riskClass ?? "") : "",
    decision: effect.success ? (effect.data.decision ?? "") : "",
    requiredApprovals: effect.success && effect.data.requiredApprovals ? String(effect.data.requiredApprovals) : "",
    network: effect.success && effect.data.network === true,
    enabled: rule.enabled,
  };
}

const DECISION_TEXT: Record<Decision, string> = {
  ALLOW: "runs without approval",
  REQUIRE_APPROVAL: "needs approval",
  DENY: "is refused",
};

/** "facts.command equals rm" */
export function describeCondition(condition: unknown): string {
  const parsed = ruleConditionSchema.safeParse(condition);
  if (!parsed.success) return "(invalid condition)";
  const { path, operator, value } = parsed.data;
  if (operator === "exists") return `${path} ${OPERATOR_LABEL.exists}`;
  return `${path} ${OPERATOR_LABEL[operator]} ${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}`;
}

/** "class DESTRUCTIVE · needs 2 approvals" */
export function describeEffect(effect: unknown): string {
  const parsed = ruleEffectSchema.safeParse(effect);
  if (!parsed.success) return "(invalid effect: refuses the call)";
  const parts: string[] = [];
  if (parsed.data.riskClass) parts.push(`class ${parsed.data.riskClass}`);
  if (parsed.data.decision) parts.push(DECISION_TEXT[parsed.data.decision]);
  if (parsed.data.requiredApprovals) {
    parts.push(`${parsed.data.requiredApprovals} approval${parsed.data.requiredApprovals === 1 ? "" : "s"}`);
  }
  if (parsed.data.network === true) parts.push("network allowed");
  return parts.join(" · ");
}

/** One sentence for the form's preview: what the rule will do. */
export function describeRule(draft: RuleDraft): string {
  const candidate = ruleFromDraft(draft) as { conditions: unknown[]; effect: unknown };
  const tool = draft.toolName === "*" ? "any tool" : draft.toolName || "the tool";
  const when =
    candidate.conditions.length > 0 ? ` and ${candidate.conditions.map(describeCondition).join(" and ")}` : "";
  const effect = describeEffect(candidate.effect);
  return `When ${tool} is called${when}: ${effect || "…"}.`;
}
