/**
 * Policy: a pure function from a proposed call to ALLOW | REQUIRE_APPROVAL | DENY with
 * reasons. No I/O. Fails closed: anything it does not understand is DENY.
 */
import type { Decision, RiskClass } from "../shared/risk";

export interface PolicyInput {
  toolName: string;
  /** The class after the tool's own classifier; undefined when the tool is unknown. */
  riskClass: RiskClass | undefined;
}

export interface PolicyDecision {
  decision: Decision;
  riskClass: RiskClass | undefined;
  reasons: string[];
}

const HANDLING: Record<RiskClass, { decision: Decision; reason: string }> = {
  READ: { decision: "ALLOW", reason: "reads run automatically" },
  SENSITIVE_READ: {
    decision: "REQUIRE_APPROVAL",
    reason: "sensitive reads need a reviewer before the value is released",
  },
  DESTRUCTIVE: { decision: "REQUIRE_APPROVAL", reason: "destructive actions need explicit human approval" },
  DISABLED: { decision: "DENY", reason: "this tool is disabled" },
};

export function decide(input: PolicyInput): PolicyDecision {
  const handling = input.riskClass ? HANDLING[input.riskClass] : undefined;
  if (!handling) {
    return {
      decision: "DENY",
      riskClass: input.riskClass,
      reasons: [`no risk class is known for "${input.toolName}"`],
    };
  }
  return {
    decision: handling.decision,
    riskClass: input.riskClass,
    reasons: [`${input.toolName} is ${input.riskClass}: ${handling.reason}`],
  };
}
