/**
 * One call through validation, the tool's classifier and the policy: what the engine
 * does when a call is proposed and again before it runs, and what an edit by a reviewer
 * goes through before it binds. Anything that cannot be evaluated is refused.
 */
import { decide } from "../policy/decide";
import type { Facts, PolicyConfig, PolicyDecision } from "../policy/types";
import type { RiskClass, Role } from "../shared/risk";
import { bounded, metrics, POLICY_DECISIONS, RISK_CLASSES } from "../telemetry/metrics";
import { traced } from "../telemetry/tracing";
import type { AnyTool } from "../tools/define-tool";

export type Evaluation =
  | { ok: true; input: unknown; riskClass: RiskClass; facts: Facts; decision: PolicyDecision }
  | { ok: false; reason: string };

export function formatIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : "(arguments)"}: ${issue.message}`)
    .join("; ");
}

interface EvaluateOptions {
  toolName: string;
  tool: AnyTool | undefined;
  args: unknown;
  actor: { id: string; role: Role };
  policy: PolicyConfig;
  availableTools: () => string[];
}

/** Evaluates the call as a `policy.decide` span (decision, reasons, policy version) and a metric. */
export async function evaluateCall(options: EvaluateOptions): Promise<Evaluation> {
  return traced("policy.decide", { "gen_ai.tool.name": options.toolName }, async (span) => {
    const evaluation = await evaluate(options);
    const decision = evaluation.ok ? evaluation.decision.decision : "INVALID";
    const riskClass = evaluation.ok ? evaluation.riskClass : undefined;
    span.set(
      evaluation.ok
        ? {
            "airlock.policy.decision": decision,
            "airlock.policy.reasons": evaluation.decision.reasons,
            "airlock.policy.version": evaluation.decision.policyVersion,
            "airlock.policy.rule_id": evaluation.decision.matchedRuleId,
            "airlock.policy.required_approvals": evaluation.decision.requiredApprovals,
            "airlock.tool.risk_class": riskClass,
          }
        : { "airlock.policy.decision": decision, "airlock.policy.reasons": [evaluation.reason] },
    );
    metrics.policyDecisions.inc({
      decision: bounded(decision, POLICY_DECISIONS),
      risk_class: riskClass ? bounded(riskClass, RISK_CLASSES) : "none",
    });
    return evaluation;
  });
}

async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
  const { tool } = options;
  if (!tool) {
    const available = options.availableTools().join(", ");
    return { ok: false, reason: `Unknown tool "${options.toolName}". Available tools: ${available || "none"}.` };
  }
  const unavailable = tool.unavailable ? await tool.unavailable() : null;
  if (unavailable) return { ok: false, reason: unavailable };
  const parsed = tool.input.safeParse(options.args);
  if (!parsed.success)
    return { ok: false, reason: `Invalid arguments for ${tool.name}: ${formatIssues(parsed.error)}` };
  let classifiedRisk: RiskClass | undefined;
  let facts: Facts = {};
  try {
    classifiedRisk = tool.classify ? await tool.classify(parsed.data) : undefined;
    facts = tool.facts ? await tool.facts(parsed.data) : {};
  } catch (error) {
    return {
      ok: false,
      reason: `Could not classify the call: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const decision = decide(
    {
      toolName: tool.name,
      tool: {
        defaultRisk: tool.risk,
        ...(classifiedRisk ? { classifiedRisk } : {}),
        ...(tool.imported ? { imported: tool.imported } : {}),
      },
      args: parsed.data,
      facts,
      actor: options.actor,
    },
    options.policy,
  );
  if (!decision.riskClass) return { ok: false, reason: decision.reasons.join("; ") };
  return { ok: true, input: parsed.data, riskClass: decision.riskClass, facts, decision };
}
