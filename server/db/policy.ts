/** The admin-configured policy: version, settings, tool class overrides and rules. */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";

export const POLICY_CHANNEL = "airlock_policy";

const policyRuleSelect = {
  id: true,
  toolName: true,
  description: true,
  conditions: true,
  effect: true,
  enabled: true,
  position: true,
  version: true,
} satisfies Prisma.PolicyRuleSelect;

const policySettingsSelect = {
  version: true,
  defaultRequiredApprovals: true,
  defaultExpiryMinutes: true,
  destructiveAutoRunConfirmed: true,
  sensitiveReadsNeedApproval: true,
  sensitiveTables: true,
  unsandboxedShellConfirmed: true,
} satisfies Prisma.PolicyStateSelect;

/** The SQL tables an admin marked sensitive (read per classification: changes apply at once). */
export async function readSensitiveTables(): Promise<string[]> {
  const state = await db().policyState.findUnique({ where: { id: 1 }, select: { sensitiveTables: true } });
  return state?.sensitiveTables ?? [];
}

export async function readPolicyVersion(tx: Transaction = db()): Promise<number> {
  const state = await tx.policyState.findUnique({ where: { id: 1 }, select: { version: true } });
  return state?.version ?? 0;
}

export async function readPolicyRows(tx: Transaction = db()) {
  const [state, tools, rules] = await Promise.all([
    tx.policyState.findUnique({
      where: { id: 1 },
      select: policySettingsSelect,
    }),
    tx.toolPolicy.findMany({ select: { toolName: true, riskClass: true } }),
    tx.policyRule.findMany({
      orderBy: { position: "asc" },
      select: policyRuleSelect,
    }),
  ]);
  return { state, tools, rules };
}

/** Bumps the policy version (inside the caller's transaction) and tells every instance. */
export async function bumpPolicyVersion(tx: Transaction, updatedBy: string | null): Promise<number> {
  const state = await tx.policyState.upsert({
    where: { id: 1 },
    create: { id: 1, version: 2, updatedBy },
    update: { version: { increment: 1 }, updatedAt: new Date(), updatedBy },
    select: { version: true },
  });
  await tx.$executeRawUnsafe(`SELECT pg_notify('${POLICY_CHANNEL}', $1)`, String(state.version));
  return state.version;
}

export type PolicyRuleRow = Prisma.PolicyRuleGetPayload<{ select: typeof policyRuleSelect }>;

export function findToolPolicy(toolName: string, tx: Transaction) {
  return tx.toolPolicy.findUnique({ where: { toolName }, select: { toolName: true, riskClass: true, version: true } });
}

export function listToolPolicies(tx: Transaction = db()) {
  return tx.toolPolicy.findMany({
    select: { toolName: true, riskClass: true, version: true, updatedAt: true, updatedBy: true },
  });
}

/** Sets or clears a tool's class override if it is still at the version the admin saw (0 = none). */
export async function writeToolPolicy(
  tx: Transaction,
  input: {
    toolName: string;
    riskClass: Prisma.ToolPolicyCreateInput["riskClass"] | null;
    expectedVersion: number;
    updatedBy: string;
  },
): Promise<boolean> {
  const current = await findToolPolicy(input.toolName, tx);
  if ((current?.version ?? 0) !== input.expectedVersion) return false;
  if (input.riskClass === null) {
    if (current) await tx.toolPolicy.delete({ where: { toolName: input.toolName }, select: { toolName: true } });
    return true;
  }
  if (current) {
    const updated = await tx.toolPolicy.updateMany({
      where: { toolName: input.toolName, version: input.expectedVersion },
      data: {
        riskClass: input.riskClass,
        version: { increment: 1 },
        updatedAt: new Date(),
        updatedBy: input.updatedBy,
      },
    });
    return updated.count === 1;
  }
  await tx.toolPolicy.create({
    data: { toolName: input.toolName, riskClass: input.riskClass, updatedBy: input.updatedBy },
    select: { toolName: true },
  });
  return true;
}

export async function insertPolicyRule(
  tx: Transaction,
  input: {
    toolName: string;
    description: string;
    conditions: unknown;
    effect: unknown;
    enabled: boolean;
    updatedBy: string;
  },
): Promise<PolicyRuleRow> {
  const last = await tx.policyRule.aggregate({ _max: { position: true } });
  return tx.policyRule.create({
    data: {
      ...input,
      conditions: input.conditions as Prisma.InputJsonValue,
      effect: input.effect as Prisma.InputJsonValue,
      position: (last._max.position ?? 0) + 1,
    },
    select: policyRuleSelect,
  });
}

export async function updatePolicyRule(
  tx: Transaction,
  input: {
    id: string;
    expectedVersion: number;
    toolName: string;
    description: string;
    conditions: unknown;
    effect: unknown;
    enabled: boolean;
    updatedBy: string;
  },
): Promise<boolean> {
  const updated = await tx.policyRule.updateMany({
    where: { id: input.id, version: input.expectedVersion },
    data: {
      toolName: input.toolName,
      description: input.description,
      conditions: input.conditions as Prisma.InputJsonValue,
      effect: input.effect as Prisma.InputJsonValue,
      enabled: input.enabled,
      version: { increment: 1 },
      updatedAt: new Date(),
      updatedBy: input.updatedBy,
    },
  });
  return updated.count === 1;
}

export async function deletePolicyRule(tx: Transaction, id: string, expectedVersion: number): Promise<boolean> {
  const deleted = await tx.policyRule.deleteMany({ where: { id, version: expectedVersion } });
  return deleted.count === 1;
}

export function findPolicyRule(id: string, tx: Transaction) {
  return tx.policyRule.findUnique({
    where: { id },
    select: policyRuleSelect,
  });
}

export async function setRulePositions(tx: Transaction, orderedIds: string[]): Promise<void> {
  for (const [index, id] of orderedIds.entries()) {
    await tx.policyRule.update({
      where: { id },
      data: { position: index + 1, version: { increment: 1 } },
      select: { id: true },
    });
  }
}

export function readPolicySettings(tx: Transaction = db()) {
  return tx.policyState.findUnique({
    where: { id: 1 },
    select: { ...policySettingsSelect, updatedAt: true, updatedBy: true },
  });
}

/** Writes settings if the policy is still at the version the admin saw; bumps the version. */
export async function writePolicySettings(
  tx: Transaction,
  input: {
    expectedVersion: number;
    defaultRequiredApprovals: number;
    defaultExpiryMinutes: number;
    destructiveAutoRunConfirmed: boolean;
    sensitiveReadsNeedApproval: boolean;
    sensitiveTables: string[];
    unsandboxedShellConfirmed: boolean;
    updatedBy: string;
  },
): Promise<boolean> {
  const { expectedVersion, ...data } = input;
  const updated = await tx.policyState.updateMany({
    where: { id: 1, version: expectedVersion },
    data: { ...data, version: { increment: 1 }, updatedAt: new Date() },
  });
  if (updated.count === 1) await tx.$executeRawUnsafe(`SELECT pg_notify('${POLICY_CHANNEL}', 'settings')`);
  return updated.count === 1;
}

/** The admin's audited "unsandboxed shell" setting, read at each shell call that finds no sandbox. */
export async function readUnsandboxedShellAllowed(): Promise<boolean> {
  const state = await db().policyState.findUnique({ where: { id: 1 }, select: { unsandboxedShellConfirmed: true } });
  return state?.unsandboxedShellConfirmed ?? false;
}
