/**
 * The policy in force, as a value for decide(). Reloaded whenever the version row moves
 * (one cheap query per call), so an admin's change applies to the next call on every
 * instance without a restart. Stored rules that no longer parse fail closed.
 */

import { z } from "zod";
import { listen, onReconnect, serialReload } from "../db/notifications";
import { POLICY_CHANNEL, readPolicyRows, readPolicyVersion } from "../db/policy";
import type { Transaction } from "../db/transaction";
import type { PolicyConfig, PolicyRule } from "../policy/types";
import { ruleConditionSchema, storedRuleEffectSchema } from "../shared/policy-schemas";
import type { RiskClass } from "../shared/risk";
import { logger } from "../telemetry/logger";

export interface PolicyInForce extends PolicyConfig {
  defaultExpiryMinutes: number;
}

let cached: PolicyInForce | undefined;

function toRule(row: Awaited<ReturnType<typeof readPolicyRows>>["rules"][number]): PolicyRule {
  const conditions = z.array(ruleConditionSchema).safeParse(row.conditions);
  const effect = storedRuleEffectSchema.safeParse(row.effect);
  if (!conditions.success || !effect.success) {
    // A condition on an unknown path makes decide() deny calls to this tool: fail closed.
    return {
      id: row.id,
      toolName: row.toolName,
      description: `${row.description} (stored rule is invalid)`,
      conditions: [{ path: "stored.rule.invalid", operator: "exists" }],
      effect: { decision: "DENY" },
      enabled: true,
      position: row.position,
    };
  }
  return {
    id: row.id,
    toolName: row.toolName,
    description: row.description,
    conditions: conditions.data,
    effect: effect.data,
    enabled: row.enabled,
    position: row.position,
  };
}

async function readPolicy(tx?: Transaction): Promise<PolicyInForce> {
  const { state, tools, rules } = await readPolicyRows(tx);
  return {
    version: state?.version ?? 0,
    toolClasses: Object.fromEntries(tools.map((tool) => [tool.toolName, tool.riskClass as RiskClass])),
    rules: rules.map(toRule),
    settings: {
      defaultRequiredApprovals: state?.defaultRequiredApprovals ?? 1,
      destructiveAutoRunConfirmed: state?.destructiveAutoRunConfirmed ?? false,
      sensitiveReadsNeedApproval: state?.sensitiveReadsNeedApproval ?? true,
    },
    defaultExpiryMinutes: state?.defaultExpiryMinutes ?? 1440,
  };
}

// A load that was running when the policy changed read rows that may be older than the
// change: serialReload never lets it become the cache.
const policyCache = serialReload(
  () => readPolicy(),
  (policy) => {
    cached = policy;
  },
);

/**
 * The policy at (at least) the version the database holds now. Inside a transaction it is
 * read in that transaction, and not cached: its view may differ from everyone else's.
 */
export async function loadPolicy(tx?: Transaction): Promise<PolicyInForce> {
  const version = await readPolicyVersion(tx);
  if (cached && cached.version >= version) return cached;
  if (tx) return readPolicy(tx);
  // Filled by the load under way (or one started now). That load may have begun before
  // this version was committed, its NOTIFY still on the way: then read it here.
  await policyCache.ready().catch(() => {});
  if (cached && cached.version >= version) return cached;
  return readPolicy();
}

/** The policy changed: drop the cache and reload it (a load under way is not installed). */
export function forgetCachedPolicy(): void {
  cached = undefined;
  void policyCache.reload().catch((error) =>
    // The next call loads it itself; this only keeps that load off its path.
    logger.warn("reloading the policy cache failed", { error: (error as Error).message }),
  );
}

let listening: Promise<void> | undefined;

/**
 * The policy for deciding fresh calls on the engine's hot path, without a query per
 * call: kept until a NOTIFY says it changed (bumpPolicyVersion and settings writes send
 * one in their transaction) or the notification connection was lost. Paths that bind
 * approvals to a version use loadPolicy(), which always checks the version row.
 */
export async function policyForNewCalls(): Promise<PolicyInForce> {
  listening ??= (async () => {
    const forget = () => forgetCachedPolicy();
    await listen(POLICY_CHANNEL, forget);
    onReconnect(forget);
  })().catch((error) => {
    listening = undefined;
    throw error;
  });
  await listening;
  if (!cached) await policyCache.ready().catch(() => {});
  return cached ?? readPolicy();
}
