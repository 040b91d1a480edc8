/** The rule form's validation as the admin types: each problem next to its field, and valid input exactly as the server wants it. */
import { describe, expect, it } from "vitest";
import {
  type ConditionDraft,
  conditionValue,
  describeRule,
  draftFromRule,
  emptyRuleDraft,
  hasErrors,
  type RuleDraft,
  ruleFromDraft,
  validateRuleDraft,
} from "./rule-form-model";

function condition(partial: Partial<ConditionDraft>): ConditionDraft {
  return { key: "k", path: "facts.commands", operator: "equals", value: "rm", ...partial };
}

function draft(partial: Partial<RuleDraft>): RuleDraft {
  return {
    ...emptyRuleDraft("run_shell"),
    description: "shell rm needs 2 approvals",
    conditions: [condition({})],
    requiredApprovals: "2",
    ...partial,
  };
}

function errorsOf(value: RuleDraft) {
  const result = validateRuleDraft(value);
  if (result.ok) throw new Error("expected errors");
  return result.errors;
}

describe("rule form validation", () => {
  it("accepts 'shell rm needs 2 approvals' exactly as the server's schema wants it", () => {
    const result = validateRuleDraft(draft({}));
    expect(result).toEqual({
      ok: true,
      rule: {
        toolName: "run_shell",
        description: "shell rm needs 2 approvals",
        conditions: [{ path: "facts.commands", operator: "equals", value: "rm" }],
        effect: { requiredApprovals: 2 },
        enabled: true,
      },
    });
  });

  it("an empty form says what is missing, field by field", () => {
    const errors = errorsOf(emptyRuleDraft(""));
    expect(errors.toolName).toBe("Pick a tool or *");
    expect(errors.description).toBe("Describe the rule");
    expect(errors.effect).toBe("A rule must change the class, the decision, the number of approvals or network access");
    expect(hasErrors(errors)).toBe(true);
  });

  it("places condition problems on the right row and field", () => {
    const errors = errorsOf(
      draft({
        conditions: [
          condition({}),
          condition({ path: "command" }),
          condition({ path: "args.command", operator: "regex", value: "rm (" }),
          condition({ path: "args.size", operator: "gt", value: "big" }),
          condition({ path: "args.command", operator: "equals", value: "  " }),
        ],
      }),
    );
    expect(errors.conditions[0]).toBeUndefined();
    expect(errors.conditions[1]?.path).toBe("Use args.<name>, facts.<name> or actor.role");
    expect(errors.conditions[2]?.value).toMatch(/^Invalid regular expression/);
    expect(errors.conditions[3]?.value).toBe("A number is required");
    expect(errors.conditions[4]?.value).toBe("A value is required");
  });

  it("required approvals: a whole number from 1 to 10, or empty for the default", () => {
    expect(errorsOf(draft({ requiredApprovals: "0" })).requiredApprovals).toBe("At least 1");
    expect(errorsOf(draft({ requiredApprovals: "11" })).requiredApprovals).toBe("At most 10");
    expect(errorsOf(draft({ requiredApprovals: "1.5" })).requiredApprovals).toBe("A whole number from 1 to 10");
    expect(errorsOf(draft({ requiredApprovals: "two" })).requiredApprovals).toBe("A whole number from 1 to 10");
    // Empty approvals with another effect is fine.
    expect(validateRuleDraft(draft({ requiredApprovals: "", decision: "DENY" })).ok).toBe(true);
  });

  it("turns typed text into the operator's value: lists for `in`, numbers for comparisons, nothing for `exists`", () => {
    expect(conditionValue("in", " rm, mv ,, dd ")).toEqual(["rm", "mv", "dd"]);
    expect(conditionValue("gte", " 10 ")).toBe(10);
    expect(conditionValue("exists", "ignored")).toBeUndefined();
    expect(conditionValue("glob", "secrets/**")).toBe("secrets/**");
    expect(conditionValue("equals", "  rm ")).toBe("rm");
    const exists = validateRuleDraft(
      draft({ conditions: [condition({ path: "args.recursive", operator: "exists", value: "" })] }),
    );
    expect(exists.ok && exists.rule.conditions[0]).toEqual({ path: "args.recursive", operator: "exists" });
    const listed = validateRuleDraft(draft({ conditions: [condition({ operator: "in", value: "rm, shred" })] }));
    expect(listed.ok && listed.rule.conditions[0]?.value).toEqual(["rm", "shred"]);
  });

  it("a rule for every tool, keyed on the actor's role, is valid", () => {
    const result = validateRuleDraft(
      draft({
        toolName: "*",
        description: "users never delete",
        conditions: [condition({ path: "actor.role", operator: "equals", value: "USER" })],
        requiredApprovals: "",
        decision: "DENY",
      }),
    );
    expect(result.ok).toBe(true);
  });

  it("round-trips a stored rule into the form and back", () => {
    const stored = {
      toolName: "sql_query",
      description: "deletes on customers need two",
      conditions: [
        { path: "facts.statementTypes", operator: "in", value: ["DELETE", "TRUNCATE"] },
        { path: "facts.tables", operator: "equals", value: "customers" },
      ],
      effect: { riskClass: "DESTRUCTIVE", requiredApprovals: 2 },
      enabled: false,
    };
    const form = draftFromRule(stored);
    expect(form.conditions.map((item) => item.value)).toEqual(["DELETE, TRUNCATE", "customers"]);
    expect(ruleFromDraft(form)).toEqual(stored);
    expect(describeRule(form)).toBe(
      "When sql_query is called and facts.statementTypes is one of [DELETE, TRUNCATE] and facts.tables equals customers: class DESTRUCTIVE · 2 approvals.",
    );
  });
});

describe("the network checkbox", () => {
  it("alone makes a rule, sent as effect.network, and comes back from a stored rule", () => {
    const network = draft({ requiredApprovals: "", network: true, description: "curl may fetch" });
    const result = validateRuleDraft(network);
    expect(result.ok && result.rule.effect).toEqual({ network: true });
    expect(describeRule(network)).toBe("When run_shell is called and facts.commands equals rm: network allowed.");
    expect(ruleFromDraft(draft({ network: false })) as { effect: object }).toHaveProperty("effect", {
      requiredApprovals: 2,
    });
    const stored = draftFromRule({
      toolName: "run_shell",
      description: "curl may fetch",
      conditions: [],
      effect: { network: true, confirmedLowering: true },
      enabled: true,
    });
    expect(stored.network).toBe(true);
    expect(draftFromRule({ ...stored, conditions: [], effect: { riskClass: "READ" } }).network).toBe(false);
  });
});
