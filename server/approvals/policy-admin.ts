/**
 * What admins change about policy: tool class overrides, rules (create, edit, reorder,
 * delete), approval settings, and a simulator. Every change is one transaction: an
 * optimistic-concurrency check on the version the admin saw (a stale edit is a clear
 * conflict, never a silent overwrite), the write, a new policy version (so approvals
 * given under the old one are void and every instance reloads), and an audit event.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  bumpPolicyVersion,
  deletePolicyRule,
  findPolicyRule,
  findToolPolicy,
  insertPolicyRule,
  listToolPolicies,
  readPolicyRows,
  readPolicySettings,
  setRulePositions,
  updatePolicyRule,
  writePolicySettings,
  writeToolPolicy,
} from "../db/policy";
import { inTransaction, type Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { RISK_ORDER, toolNameMatches } from "../policy/decide";
import type { RuleEffect } from "../policy/types";
import { type PolicyRuleInput, ruleLoweringConfirmation } from "../shared/policy-schemas";
import type { RiskClass, Role } from "../shared/risk";
import { maskDeep } from "../shared/sensitive-values";
import type { AnyTool } from "../tools/define-tool";
import type { ToolRegistry } from "../tools/registry";
import { forgetCachedPolicy, loadPolicy } from "./current-policy";
import { findEarlierRejection, REJECTED_EARLIER_RULE, REJECTED_EARLIER_RULE_TEXT } from "./earlier-rejection";
import { evaluateCall } from "./evaluate-call";
import { loadSensitiveValues } from "./released-values";

function conflict(what: string): never {
  throw new AirlockError(
    "admin:conflict",
    `${what} was changed by someone else since you opened it. Reload to see their change, then try again.`,
  );
}

export async function listToolsForAdmin(tools: ToolRegistry) {
  const [overrides, policy] = await Promise.all([listToolPolicies(), loadPolicy()]);
  const byName = new Map(overrides.map((override) => [override.toolName, override]));
  const unavailable = await Promise.all(tools.list().map((tool) => tool.unavailable?.() ?? null));
  return tools.list().map((tool, index) => {
    const override = byName.get(tool.name);
    const unavailableReason = unavailable[index] ?? null;
    return {
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputJsonSchema,
      defaultRisk: tool.risk,
      classifiesPerCall: Boolean(tool.classify),
      override: override
        ? { riskClass: override.riskClass as RiskClass, version: override.version, updatedAt: override.updatedAt }
        : null,
      overrideVersion: override?.version ?? 0,
      // A tool that cannot run here is disabled whatever its class says.
      effectiveRisk: unavailableReason
        ? ("DISABLED" as const)
        : ((override?.riskClass as RiskClass | undefined) ?? tool.risk),
      unavailableReason,
      rules: policy.rules.filter((rule) => toolNameMatches(rule.toolName, tool.name)).map((rule) => rule.id),
    };
  });
}

export async function setToolClass(options: {
  tools: ToolRegistry;
  toolName: string;
  riskClass: RiskClass | null;
  expectedVersion: number;
  confirmation?: string;
  actorId: string;
}) {
  const tool = options.tools.get(options.toolName);
  if (!tool) throw new AirlockError("admin:not-found", `There is no tool named ${options.toolName}.`);
  // Turning a destructive tool into one that runs without a reviewer must be typed out.
  const lowersDestructive =
    tool.risk === "DESTRUCTIVE" && (options.riskClass === "READ" || options.riskClass === "SENSITIVE_READ");
  if (lowersDestructive && options.confirmation !== tool.name) {
    throw new AirlockError(
      "admin:confirmation-required",
      `${tool.name} is destructive by default. To let it run with less review, type its name (${tool.name}) to confirm.`,
    );
  }
  await inTransaction(async (tx) => {
    const before = await findToolPolicy(options.toolName, tx);
    if (
      !(await writeToolPolicy(tx, {
        toolName: options.toolName,
        riskClass: options.riskClass,
        expectedVersion: options.expectedVersion,
        updatedBy: options.actorId,
      }))
    ) {
      conflict(`The class of ${options.toolName}`);
    }
    const version = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "policy.tool-class-changed",
      targetType: "tool",
      targetId: options.toolName,
      data: {
        before: before?.riskClass ?? null,
        after: options.riskClass,
        policyVersion: version,
        confirmed: lowersDestructive,
      },
    });
  });
  forgetCachedPolicy();
}

/** The rules in policy order with the version they were read at (what a reorder must name). */
export async function listRulesForAdmin() {
  const { state, rules } = await readPolicyRows();
  return { policyVersion: state?.version ?? 0, rules };
}

function checkToolName(tools: ToolRegistry, toolName: string) {
  // A pattern may name tools a server has not listed yet; an exact name must exist.
  if (!toolName.includes("*") && !tools.get(toolName))
    throw new AirlockError("admin:invalid", `There is no tool named ${toolName}.`);
}

/** The classes a tool's calls can have before rules: the admin's override, else whatever its classifier may say. */
function possibleBaseClasses(tool: AnyTool, override: RiskClass | undefined): RiskClass[] {
  if (override) return [override];
  return tool.classify ? [tool.risk, "READ", "SENSITIVE_READ", "DESTRUCTIVE"] : [tool.risk];
}

/**
 * Whether a rule could let some call run with less review than its own class asks for:
 * set a class below a class a targeted tool's calls can have, or ALLOW calls that are not
 * plain reads, or grant network access. Such a rule needs the same typed confirmation as
 * lowering a tool's class.
 */
async function ruleLowersReview(tools: ToolRegistry, rule: PolicyRuleInput, tx: Transaction): Promise<boolean> {
  const { riskClass, decision } = rule.effect;
  // Network access is a loosening whatever the class: it asks for the same confirmation.
  if (rule.effect.network === true) return true;
  if (riskClass === undefined && decision !== "ALLOW") return false;
  const overrides = new Map(
    (await listToolPolicies(tx)).map((override) => [override.toolName, override.riskClass as RiskClass]),
  );
  const targets = rule.toolName.includes("*")
    ? tools.list().filter((tool) => toolNameMatches(rule.toolName, tool.name))
    : [tools.get(rule.toolName)].filter((tool) => tool !== undefined);
  return targets.some((tool) =>
    possibleBaseClasses(tool, overrides.get(tool.name)).some(
      (base) =>
        (riskClass !== undefined && RISK_ORDER[riskClass] < RISK_ORDER[base]) ||
        (decision === "ALLOW" && base !== "READ" && base !== "DISABLED"),
    ),
  );
}

/** The rule as stored: marked confirmed when it lowers review and the admin typed the confirmation. */
async function confirmedRule(
  tools: ToolRegistry,
  rule: PolicyRuleInput,
  confirmation: string | undefined,
  tx: Transaction,
): Promise<{ stored: PolicyRuleInput & { effect: RuleEffect }; confirmed: boolean }> {
  if (!(await ruleLowersReview(tools, rule, tx))) return { stored: rule, confirmed: false };
  const expected = ruleLoweringConfirmation(rule.toolName);
  if (confirmation !== expected) {
    throw new AirlockError(
      "admin:confirmation-required",
      `This rule lets ${rule.toolName === "*" ? "calls of any tool" : `${rule.toolName} calls`} run ${rule.effect.network === true ? "with network access" : "with less review than their risk class asks for"}. To save it, type ${expected} to confirm.`,
    );
  }
  return { stored: { ...rule, effect: { ...rule.effect, confirmedLowering: true } }, confirmed: true };
}

export async function createRule(options: {
  tools: ToolRegistry;
  rule: PolicyRuleInput;
  confirmation?: string;
  actorId: string;
}) {
  checkToolName(options.tools, options.rule.toolName);
  const created = await inTransaction(async (tx) => {
    const { stored, confirmed } = await confirmedRule(options.tools, options.rule, options.confirmation, tx);
    const row = await insertPolicyRule(tx, { ...stored, updatedBy: options.actorId });
    const version = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "policy.rule-created",
      targetType: "policy-rule",
      targetId: row.id,
      data: { rule: stored, policyVersion: version, confirmed },
    });
    return row;
  });
  forgetCachedPolicy();
  return created;
}

export async function editRule(options: {
  tools: ToolRegistry;
  id: string;
  expectedVersion: number;
  rule: PolicyRuleInput;
  confirmation?: string;
  actorId: string;
}) {
  checkToolName(options.tools, options.rule.toolName);
  await inTransaction(async (tx) => {
    const before = await findPolicyRule(options.id, tx);
    if (!before) throw new AirlockError("admin:not-found", "This rule no longer exists.");
    const { stored, confirmed } = await confirmedRule(options.tools, options.rule, options.confirmation, tx);
    if (
      !(await updatePolicyRule(tx, {
        id: options.id,
        expectedVersion: options.expectedVersion,
        ...stored,
        updatedBy: options.actorId,
      }))
    ) {
      conflict("This rule");
    }
    const version = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "policy.rule-changed",
      targetType: "policy-rule",
      targetId: options.id,
      data: { before, after: stored, policyVersion: version, confirmed },
    });
  });
  forgetCachedPolicy();
}

export async function removeRule(options: { id: string; expectedVersion: number; actorId: string }) {
  await inTransaction(async (tx) => {
    const before = await findPolicyRule(options.id, tx);
    if (!before) throw new AirlockError("admin:not-found", "This rule no longer exists.");
    if (!(await deletePolicyRule(tx, options.id, options.expectedVersion))) conflict("This rule");
    const version = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "policy.rule-deleted",
      targetType: "policy-rule",
      targetId: options.id,
      data: { before, policyVersion: version },
    });
  });
  forgetCachedPolicy();
}

/** Reorders all rules; the admin names the policy version their list was read at. */
export async function reorderRules(options: { orderedIds: string[]; expectedPolicyVersion: number; actorId: string }) {
  await inTransaction(async (tx) => {
    const { state, rules } = await readPolicyRows(tx);
    if ((state?.version ?? 0) !== options.expectedPolicyVersion) conflict("The rule list");
    const existing = new Set(rules.map((rule) => rule.id));
    if (options.orderedIds.length !== existing.size || !options.orderedIds.every((id) => existing.has(id))) {
      throw new AirlockError("admin:invalid", "The new order must list every rule exactly once.");
    }
    await setRulePositions(tx, options.orderedIds);
    const version = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "policy.rules-reordered",
      targetType: "policy",
      targetId: null,
      data: { order: options.orderedIds, policyVersion: version },
    });
  });
  forgetCachedPolicy();
}

export async function getPolicySettings() {
  const settings = await readPolicySettings();
  if (!settings) throw new AirlockError("admin:not-found", "The policy settings row is missing; run the migrations.");
  return settings;
}

export const AUTO_RUN_CONFIRMATION = "let destructive actions run without approval";
export const UNSANDBOXED_SHELL_CONFIRMATION = "run shell commands without a sandbox";

export async function updatePolicySettings(options: {
  expectedVersion: number;
  defaultRequiredApprovals: number;
  defaultExpiryMinutes: number;
  destructiveAutoRunConfirmed: boolean;
  sensitiveReadsNeedApproval: boolean;
  sensitiveTables: string[];
  confirmation?: string;
  unsandboxedShellConfirmed?: boolean;
  unsandboxedShellConfirmation?: string;
  actorId: string;
}) {
  const { confirmation, unsandboxedShellConfirmation, actorId, ...given } = options;
  await inTransaction(async (tx) => {
    const before = await readPolicySettings(tx);
    const settings = {
      ...given,
      unsandboxedShellConfirmed: given.unsandboxedShellConfirmed ?? before?.unsandboxedShellConfirmed ?? false,
    };
    const turningOnUnsandboxed = settings.unsandboxedShellConfirmed && !before?.unsandboxedShellConfirmed;
    if (turningOnUnsandboxed && unsandboxedShellConfirmation !== UNSANDBOXED_SHELL_CONFIRMATION) {
      throw new AirlockError(
        "admin:confirmation-required",
        `To let the shell run without a sandbox, type exactly: ${UNSANDBOXED_SHELL_CONFIRMATION}`,
      );
    }
    if (
      settings.destructiveAutoRunConfirmed &&
      !before?.destructiveAutoRunConfirmed &&
      confirmation !== AUTO_RUN_CONFIRMATION
    ) {
      throw new AirlockError(
        "admin:confirmation-required",
        `To let rules auto-run destructive actions, type exactly: ${AUTO_RUN_CONFIRMATION}`,
      );
    }
    if (!(await writePolicySettings(tx, { ...settings, updatedBy: actorId }))) conflict("The approval settings");
    // The settings themselves: row metadata (a Date does not survive the audit's JSON) stays out.
    const { updatedAt: _updatedAt, updatedBy: _updatedBy, version: _version, ...beforeSettings } = before ?? {};
    const { expectedVersion: _expectedVersion, ...afterSettings } = settings;
    await recordAuditEvent(tx, {
      actorId,
      action: "policy.settings-changed",
      targetType: "policy",
      targetId: null,
      data: {
        before: before ? beforeSettings : null,
        after: afterSettings,
        policyVersion: settings.expectedVersion + 1,
        typedConfirmation: settings.destructiveAutoRunConfirmed && !before?.destructiveAutoRunConfirmed,
        unsandboxedShellTypedConfirmation: turningOnUnsandboxed,
      },
    });
  });
  forgetCachedPolicy();
}

/**
 * What would happen if the agent made this call now, for this role — and, in a chosen
 * conversation, whether the same call was rejected there earlier (then it is refused at
 * once with that reason; earlier-rejection.ts). A call that would wait for approval
 * names that rule among its reasons, so the simulator never hides a way a call ends.
 */
export async function simulateCall(options: {
  tools: ToolRegistry;
  toolName: string;
  args: unknown;
  role: Role;
  conversationId?: string;
}) {
  const policy = await loadPolicy();
  const tool = options.tools.get(options.toolName);
  const evaluation = await evaluateCall({
    toolName: options.toolName,
    tool,
    args: options.args,
    actor: { id: "simulation", role: options.role },
    policy,
    availableTools: () => options.tools.list().map((candidate) => candidate.name),
  });
  if (!evaluation.ok)
    return {
      decision: "DENY" as const,
      riskClass: null,
      reasons: [evaluation.reason],
      requiredApprovals: 0,
      facts: {},
      policyVersion: policy.version,
      rejectedEarlier: null,
    };
  const simulated = { ...evaluation.decision, facts: evaluation.facts, rejectedEarlier: null };
  if (evaluation.decision.decision !== "REQUIRE_APPROVAL" || !tool) return simulated;
  const binding = {
    toolName: tool.name,
    args: evaluation.input,
    toolVersion: tool.version,
    policyVersion: evaluation.decision.policyVersion,
  };
  const conversationId = options.conversationId;
  const earlier = conversationId ? await findEarlierRejection({ conversationId, binding }) : null;
  if (!earlier || !conversationId) {
    return {
      ...simulated,
      reasons: [...simulated.reasons, `Rule "${REJECTED_EARLIER_RULE}": ${REJECTED_EARLIER_RULE_TEXT}`],
    };
  }
  // An admin reads this: values released in that conversation stay hidden, as in the inbox.
  const released = await loadSensitiveValues(conversationId, options.tools);
  const when = earlier.rejectedAt ? ` on ${earlier.rejectedAt.toISOString()}` : "";
  return {
    ...simulated,
    decision: "DENY" as const,
    requiredApprovals: 0,
    reasons: [
      ...simulated.reasons,
      maskDeep(
        `Rule "${REJECTED_EARLIER_RULE}": a reviewer rejected this same call in this conversation${when} (request ${earlier.requestId}) because ${earlier.reason} — it would be refused at once with that reason, not asked again.`,
        released,
      ),
    ],
    rejectedEarlier: {
      requestId: earlier.requestId,
      reason: maskDeep(earlier.reason, released),
      rejectedAt: earlier.rejectedAt,
    },
  };
}
