/** The admin-configured policy: version, settings, tool class overrides and rules. */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";

export const POLICY_CHANNEL = "airlock_policy";

export async function readPolicyVersion(tx: Transaction = db()): Promise<number> {
  const state = await tx.policyState.findUnique({ where: { id: 1 }, select: { version: true } });
  return state?.version ?? 0;
}

export async function readPolicyRows(tx: Transaction = db()) {
  const [state, tools, rules] = await Promise.all([
    tx.policyState.findUnique({
      where: { id: 1 },
      select: {
        version: true,
        defaultRequiredApprovals: true,
        defaultExpiryMinutes: true,
        destructiveAutoRunConfirmed: true,
        sensitiveReadsNeedApproval: true,
      },
    }),
    tx.toolPolicy.findMany({ select: { toolName: true, riskClass: true } }),
    tx.policyRule.findMany({
      orderBy: { position: "asc" },
      select: {
        id: true,
        toolName: true,
        description: true,
        conditions: true,
        effect: true,
        enabled: true,
        position: true,
        version: true,
      },
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

export type PolicyRuleRow = Prisma.PolicyRuleGetPayload<{
  select: {
    id: true;
    toolName: true;
    description: true;
    conditions: true;
    effect: true;
    enabled: true;
    position: true;
    version: true;
  };
}>;
