/**
 * What the MCP gateway (server/gateway) reads and records: its conversations ("MCP:
 * <client>"), the earlier run of an identical call whose outcome its client has not been
 * given yet, a run's outcome, and the audit event that says an outcome was delivered.
 */
import { db } from "./client";
import type { Prisma } from "./generated/client";

/** The audit action that marks a gateway run's outcome as delivered to its MCP client. */
export const OUTCOME_DELIVERED_ACTION = "mcp.outcome-delivered";

const ACTIVE_RUN_STATUSES = ["QUEUED", "RUNNING", "AWAITING_APPROVAL"] as const;

/** How far back a later identical call looks for the run of an earlier one. */
const PICKUP_WINDOW_MS = 30 * 24 * 60 * 60_000;

/** The newest of the owner's conversations with this title and model that has no run in progress. */
export async function findIdleConversation(options: {
  ownerId: string;
  title: string;
  modelId: string;
}): Promise<string | null> {
  const found = await db().conversation.findFirst({
    where: {
      ownerId: options.ownerId,
      title: options.title,
      modelId: options.modelId,
      runs: { none: { status: { in: [...ACTIVE_RUN_STATUSES] } } },
    },
    orderBy: { updatedAt: "desc" },
    select: { id: true },
  });
  return found?.id ?? null;
}

/**
 * The newest run of `userId` on `modelId` whose message is exactly `text` and whose
 * outcome no MCP client has been given yet.
 */
export async function findUndeliveredRun(options: {
  userId: string;
  modelId: string;
  text: string;
}): Promise<string | null> {
  const runs = await db().run.findMany({
    where: {
      userId: options.userId,
      modelId: options.modelId,
      createdAt: { gte: new Date(Date.now() - PICKUP_WINDOW_MS) },
      messages: { some: { role: "USER", parts: { equals: [{ type: "text", text: options.text }] } } },
    },
    orderBy: { createdAt: "desc" },
    take: 20,
    select: { id: true },
  });
  if (runs.length === 0) return null;
  const delivered = await db().auditEvent.findMany({
    where: { action: OUTCOME_DELIVERED_ACTION, targetType: "run", targetId: { in: runs.map((run) => run.id) } },
    select: { targetId: true },
  });
  const done = new Set(delivered.map((event) => event.targetId));
  return runs.find((run) => !done.has(run.id))?.id ?? null;
}

const outcomeSelect = {
  id: true,
  status: true,
  error: true,
  lastEventSeq: true,
  updatedAt: true,
  toolCalls: {
    orderBy: [{ createdAt: "asc" }, { position: "asc" }],
    take: 1,
    select: {
      id: true,
      toolName: true,
      status: true,
      riskClass: true,
      result: true,
      error: true,
      approvals: {
        orderBy: { createdAt: "desc" },
        take: 1,
        select: { id: true, status: true, decisionReason: true, expiresAt: true },
      },
    },
  },
} satisfies Prisma.RunSelect;

export type GatewayRunOutcome = Prisma.RunGetPayload<{ select: typeof outcomeSelect }>;

/** The run and its (one) tool call with the call's latest approval request. */
export function readRunOutcome(runId: string): Promise<GatewayRunOutcome | null> {
  return db().run.findUnique({ where: { id: runId }, select: outcomeSelect });
}

/** The outcomes of several runs in one query (tasks/list), by run id. */
export async function readRunOutcomes(runIds: string[]): Promise<Map<string, GatewayRunOutcome>> {
  const runs = await db().run.findMany({ where: { id: { in: runIds } }, select: outcomeSelect });
  return new Map(runs.map((run) => [run.id, run]));
}

/** The run's approval request still waiting for reviewers, if any. */
export async function findPendingApprovalId(runId: string): Promise<string | null> {
  const found = await db().approvalRequest.findFirst({
    where: { runId, status: "PENDING" },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  return found?.id ?? null;
}

/** NOTIFY channel: an MCP client cancelled a request (payload: the request's key); the instance waiting on it cancels its run. */
export const GATEWAY_CANCEL_CHANNEL = "airlock_mcp_cancel";

export async function notifyGatewayCancel(key: string): Promise<void> {
  await db().$executeRawUnsafe(`SELECT pg_notify('${GATEWAY_CANCEL_CHANNEL}', $1)`, key);
}
