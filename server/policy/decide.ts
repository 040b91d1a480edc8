/**
 * Policy: a pure function from a proposed call to ALLOW | REQUIRE_APPROVAL | DENY with
 * reasons. No I/O. Fails closed: an unknown tool or class, or a rule that cannot be
 * evaluated, is DENY.
 *
 * Precedence, in order:
 * 1. The tool's class: the admin's override for the tool if set, else what the tool's
 *    classifier says for these arguments, else the tool's default class.
 * 2. Of the enabled rules whose conditions all hold, the most specific wins: more
 *    conditions beat fewer, a rule for the tool beats a rule for "*". On a tie the
 *    strictest effect wins (DENY, then DISABLED, then the higher class), then the rule
 *    earlier in the admin's list. The winner may set the class, the decision, and the
 *    number of approvals.
 * 3. The class decides unless the winning rule set a decision: READ runs, SENSITIVE_READ
 *    and DESTRUCTIVE need approval, DISABLED is denied.
 *
 * A rule's tool name may be a pattern (`github__*`, `*__delete_*`): `*` matches any run of
 * characters and nothing else is special. An exact name beats a pattern, a pattern beats "*".
 *
 * A tool imported from an MCP server starts from, in order: the admin's override, the class
 * an admin confirmed for its current definition, the server's default class, the class its
 * annotations hint at. Until an admin confirms its current definition (never seen, or
 * changed since), it cannot run without a reviewer whatever rules say — or, if its server
 * disables new tools, not at all.
 *
 * A rule may raise a call's class freely, but it may make a call run with less review —
 * set a class below the call's own class (from step 1), or ALLOW a sensitive read or a
 * destructive call — only if an admin typed a confirmation when saving it
 * (`confirmedLowering`, set by the admin service only). An unconfirmed rule's lowering is
 * ignored here, whoever wrote the row. A DESTRUCTIVE call allowed by a confirmed rule
 * still runs without approval only when destructive auto-run is confirmed as well.
 *
 * A rule may also grant network access (`effect.network`, for run_shell's sandbox): a
 * loosening too, so `decision.network` is true only when the winning rule grants it and
 * was confirmed the same way, and never for a denied call. A granting rule matches like
 * any rule that lets calls through (a tree must match as a whole).
 */
import type { Decision, RiskClass } from "../shared/risk";
import { conditionHolds } from "./conditions";
import type { PolicyConfig, PolicyDecision, PolicyRule, ProposedCall } from "./types";

export const RISK_ORDER: Record<RiskClass, number> = { READ: 0, SENSITIVE_READ: 1, DESTRUCTIVE: 2, DISABLED: 3 };

const CLASS_DECISION: Record<RiskClass, { decision: Decision; reason: string }> = {
  READ: { decision: "ALLOW", reason: "reads run automatically" },
  SENSITIVE_READ: {
    decision: "REQUIRE_APPROVAL",
    reason: "sensitive reads need a reviewer before the value is released",
  },
  DESTRUCTIVE: { decision: "REQUIRE_APPROVAL", reason: "destructive actions need explicit human approval" },
  DISABLED: { decision: "DENY", reason: "this tool is disabled" },
};

function isRiskClass(value: unknown): value is RiskClass {
  return typeof value === "string" && Object.hasOwn(RISK_ORDER, value);
}

function strictness(rule: PolicyRule): number {
  if (rule.effect.decision === "DENY") return 10;
  if (rule.effect.riskClass === "DISABLED") return 9;
  return rule.effect.riskClass
    ? RISK_ORDER[rule.effect.riskClass]
    : rule.effect.decision === "REQUIRE_APPROVAL"
      ? 1
      : 0;
}

/**
 * Whether a rule's tool name covers a tool: equal, or a pattern whose `*`s match any run of
 * characters. Matched piece by piece (no regular expression is built from admin input).
 */
export function toolNameMatches(pattern: string, toolName: string): boolean {
  if (!pattern.includes("*")) return pattern === toolName;
  const pieces = pattern.split("*");
  const first = pieces[0] ?? "";
  const last = pieces[pieces.length - 1] ?? "";
  if (toolName.length < first.length + last.length) return false;
  if (!toolName.startsWith(first) || !toolName.endsWith(last)) return false;
  let position = first.length;
  const end = toolName.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = toolName.indexOf(piece, position);
    if (found === -1 || found + piece.length > end) return false;
    position = found + piece.length;
  }
  return true;
}

function nameSpecificity(toolName: string): number {
  if (toolName === "*") return 0;
  return toolName.includes("*") ? 1 : 2;
}

function specificity(rule: PolicyRule): number {
  return rule.conditions.length * 3 + nameSpecificity(rule.toolName);
}

type ImportedTool = NonNullable<NonNullable<ProposedCall["tool"]>["imported"]>;

/** Where an imported tool's class comes from when no admin override applies. */
function importedClass(tool: NonNullable<ProposedCall["tool"]>, imported: ImportedTool, toolName: string) {
  if (imported.confirmation === "confirmed" && imported.confirmedClass) {
    return {
      riskClass: imported.confirmedClass,
      reason: `an admin confirmed ${toolName} as ${imported.confirmedClass}`,
    };
  }
  if (imported.serverDefault) {
    return {
      riskClass: imported.serverDefault,
      reason: `${imported.serverDefault} is the default class of the MCP server ${imported.server}`,
    };
  }
  return {
    riskClass: tool.defaultRisk,
    reason: `${toolName} is ${tool.defaultRisk} by its MCP annotations: ${imported.hintReasons.join("; ")}`,
  };
}

function deny(policy: PolicyConfig, reason: string, riskClass?: RiskClass): PolicyDecision {
  return {
    decision: "DENY",
    riskClass,
    reasons: [reason],
    requiredApprovals: 0,
    network: false,
    policyVersion: policy.version,
  };
}

/** A rule that lets a call through more easily than its class would (ALLOW, a lower class, or network). */
function rulePermits(rule: PolicyRule, baseClass: RiskClass): boolean {
  if (rule.effect.network === true) return true;
  const lowers =
    rule.effect.riskClass !== undefined &&
    isRiskClass(rule.effect.riskClass) &&
    RISK_ORDER[rule.effect.riskClass] < RISK_ORDER[baseClass];
  return rule.effect.decision === "ALLOW" || lowers;
}

export function decide(call: ProposedCall, policy: PolicyConfig): PolicyDecision {
  if (!call.tool) return deny(policy, `"${call.toolName}" is not a known tool`);
  const override = policy.toolClasses[call.toolName];
  const imported = call.tool.imported;
  const fromImport = imported && !override ? importedClass(call.tool, imported, call.toolName) : undefined;
  const baseClass = override ?? call.tool.classifiedRisk ?? fromImport?.riskClass ?? call.tool.defaultRisk;
  if (!isRiskClass(baseClass)) return deny(policy, `no valid risk class is known for "${call.toolName}"`);
  const reasons: string[] = [
    override
      ? `an admin set ${call.toolName} to ${override}`
      : call.tool.classifiedRisk
        ? `${call.toolName} classified this call as ${call.tool.classifiedRisk}`
        : (fromImport?.reason ?? `${call.toolName} is ${call.tool.defaultRisk} by default`),
  ];

  const subject = { args: call.args, facts: call.facts, actor: call.actor };
  const matching: PolicyRule[] = [];
  for (const rule of policy.rules) {
    if (!rule.enabled || (rule.toolName !== "*" && !toolNameMatches(rule.toolName, call.toolName))) continue;
    try {
      const reach = rulePermits(rule, baseClass) ? "permits" : "restricts";
      if (rule.conditions.every((condition) => conditionHolds(subject, condition, reach))) matching.push(rule);
    } catch (error) {
      return deny(
        policy,
        `rule "${rule.description}" could not be evaluated: ${error instanceof Error ? error.message : String(error)}`,
        baseClass,
      );
    }
  }
  matching.sort((a, b) => specificity(b) - specificity(a) || strictness(b) - strictness(a) || a.position - b.position);
  const winner = matching[0];

  let riskClass = baseClass;
  let ruleDecision: Decision | undefined;
  let requiredApprovals = policy.settings.defaultRequiredApprovals;
  if (winner) {
    if (winner.effect.riskClass !== undefined) {
      if (!isRiskClass(winner.effect.riskClass))
        return deny(policy, `rule "${winner.description}" sets an unknown class`, baseClass);
      if (RISK_ORDER[winner.effect.riskClass] < RISK_ORDER[baseClass] && winner.effect.confirmedLowering !== true) {
        reasons.push(
          `rule "${winner.description}" would lower ${baseClass} to ${winner.effect.riskClass}, but it was saved without the typed confirmation that needs, so the class stays ${baseClass}`,
        );
      } else {
        riskClass = winner.effect.riskClass;
      }
    }
    ruleDecision = winner.effect.decision;
    if (winner.effect.requiredApprovals !== undefined) requiredApprovals = winner.effect.requiredApprovals;
    reasons.push(`rule "${winner.description}" applies`);
  }
  if (!Number.isInteger(requiredApprovals) || requiredApprovals < 1) requiredApprovals = 1;

  const byClass = CLASS_DECISION[riskClass];
  let decision: Decision = byClass.decision;
  if (riskClass === "DISABLED") {
    decision = "DENY";
  } else if (ruleDecision === "DENY" || ruleDecision === "REQUIRE_APPROVAL") {
    decision = ruleDecision;
  } else if (ruleDecision === "ALLOW") {
    if (riskClass !== "READ" && winner?.effect.confirmedLowering !== true) {
      reasons.push(
        `the rule allows it, but it was saved without the typed confirmation a rule needs to let a ${riskClass} call run unreviewed, so a reviewer must approve`,
      );
      decision = byClass.decision;
      if (riskClass === "SENSITIVE_READ" && !policy.settings.sensitiveReadsNeedApproval) decision = "ALLOW";
    } else if (riskClass === "DESTRUCTIVE" && !policy.settings.destructiveAutoRunConfirmed) {
      reasons.push("the rule allows it, but destructive auto-run is not enabled, so a reviewer must approve");
      decision = "REQUIRE_APPROVAL";
    } else {
      decision = "ALLOW";
    }
  } else if (riskClass === "SENSITIVE_READ" && !policy.settings.sensitiveReadsNeedApproval) {
    decision = "ALLOW";
  }
  if (ruleDecision === undefined || ruleDecision === decision) reasons.push(`${riskClass}: ${byClass.reason}`);
  if (imported && imported.confirmation !== "confirmed" && decision !== "DENY") {
    const unconfirmed =
      imported.confirmation === "new"
        ? "no admin has confirmed the class of this MCP tool yet"
        : "this MCP tool's definition changed since an admin confirmed its class";
    if (imported.newToolMode === "DISABLED") {
      return deny(
        policy,
        `${unconfirmed}, and its server ${imported.server} disables such tools until then`,
        riskClass,
      );
    }
    if (decision === "ALLOW") {
      decision = "REQUIRE_APPROVAL";
      reasons.push(`${unconfirmed}: a reviewer must approve each call until an admin does`);
    }
  }
  if (decision !== "REQUIRE_APPROVAL") requiredApprovals = 0;
  let network = false;
  if (winner?.effect.network === true && decision !== "DENY") {
    if (winner.effect.confirmedLowering === true) {
      network = true;
      reasons.push(`rule "${winner.description}" allows network access`);
    } else {
      reasons.push(
        `rule "${winner.description}" would allow network access, but it was saved without the typed confirmation that needs, so the call has no network`,
      );
    }
  }
  return {
    decision,
    riskClass,
    reasons,
    requiredApprovals,
    ...(winner ? { matchedRuleId: winner.id } : {}),
    network,
    policyVersion: policy.version,
  };
}
