/**
 * ApprovalRequest and ApprovalDecision rows. State changes are conditional updates on
 * the request's status inside the caller's transaction, so a decision, an expiry, a
 * cancel and a consumption cannot both win.
 */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { ApprovalStatus, ApprovalVerdict, RiskClass } from "./generated/enums";
import type { Transaction } from "./transaction";

export const APPROVALS_CHANNEL = "airlock_approvals";

export const approvalRequestSelect = {
  id: true,
  toolCallId: true,
  runId: true,
  conversationId: true,
  requesterId: true,
  toolName: true,
  toolVersion: true,
  policyVersion: true,
  riskClass: true,
  args: true,
  editedArgs: true,
  bindingHash: true,
  reasons: true,
  preview: true,
  status: true,
  requiredApprovals: true,
  decisionReason: true,
  expiresAt: true,
  decidedAt: true,
  consumedAt: true,
  createdAt: true,
} satisfies Prisma.ApprovalRequestSelect;

export type ApprovalRequestRow = Prisma.ApprovalRequestGetPayload<{ select: typeof approvalRequestSelect }>;

export async function notifyApprovalsChanged(tx: Transaction, requestId: string): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${APPROVALS_CHANNEL}', $1)`, requestId);
}

export async function insertApprovalRequest(
  tx: Transaction,
  data: {
    toolCallId: string;
    runId: string;
    conversationId: string;
    requesterId: string;
    toolName: string;
    toolVersion: string;
    policyVersion: number;
    riskClass: RiskClass;
    args: unknown;
    bindingHash: string;
    reasons: string[];
    preview: unknown;
    requiredApprovals: number;
    expiresAt: Date;
  },
): Promise<ApprovalRequestRow> {
  return tx.approvalRequest.create({
    data: {
      ...data,
      args: data.args as Prisma.InputJsonValue,
      reasons: data.reasons,
      preview: (data.preview ?? undefined) as Prisma.InputJsonValue | undefined,
    },
    select: approvalRequestSelect,
  });
}

/**
 * The latest request of the conversation a reviewer rejected with exactly this binding,
 * or null. Read in the transaction that would create the new request (index
 * conversationId + bindingHash), so what it finds and what is created are one decision.
 */
export async function findRejectedRequestWithBinding(
  options: { conversationId: string; bindingHash: string },
  tx: Transaction = db(),
): Promise<{ id: string; decisionReason: string | null; decidedAt: Date | null } | null> {
  return tx.approvalRequest.findFirst({
    where: { conversationId: options.conversationId, bindingHash: options.bindingHash, status: "REJECTED" },
    orderBy: { decidedAt: "desc" },
    select: { id: true, decisionReason: true, decidedAt: true },
  });
}

/** The request's columns as one SQL list, from the same select as every Prisma read of it. */
const APPROVAL_REQUEST_COLUMNS = Object.keys(approvalRequestSelect)
  .map((column) => `"${column}"`)
  .join(", ");

/**
 * Locks a request and its run for the rest of the transaction and returns the request,
 * as it is now, or null when it does not exist. The run first, then the request: the
 * order the engine takes them in, so the two never deadlock. Two round trips.
 */
export async function lockRequestAndRun(tx: Transaction, requestId: string): Promise<ApprovalRequestRow | null> {
  await tx.$queryRawUnsafe(
    `SELECT id FROM "Run" WHERE id = (SELECT "runId" FROM "ApprovalRequest" WHERE id = $1) FOR UPDATE`,
    requestId,
  );
  const rows = await tx.$queryRawUnsafe<ApprovalRequestRow[]>(
    `SELECT ${APPROVAL_REQUEST_COLUMNS} FROM "ApprovalRequest" WHERE id = $1 FOR UPDATE`,
    requestId,
  );
  return rows[0] ?? null;
}

export async function findApprovalRequestByToolCall(
  toolCallId: string,
  tx: Transaction = db(),
): Promise<ApprovalRequestRow | null> {
  // The latest one: an earlier request may have been voided by a policy change.
  return tx.approvalRequest.findFirst({
    where: { toolCallId },
    orderBy: { createdAt: "desc" },
    select: approvalRequestSelect,
  });
}

export async function findApprovalRequest(
  requestId: string,
  tx: Transaction = db(),
): Promise<ApprovalRequestRow | null> {
  return tx.approvalRequest.findUnique({ where: { id: requestId }, select: approvalRequestSelect });
}

/** Moves a request between statuses; false when it was no longer in `from`. */
export async function transitionApprovalRequest(
  tx: Transaction,
  requestId: string,
  from: ApprovalStatus[],
  data: {
    status: ApprovalStatus;
    decisionReason?: string | null;
    editedArgs?: unknown;
    bindingHash?: string;
    decided?: boolean;
    consumed?: boolean;
  },
): Promise<boolean> {
  const result = await tx.approvalRequest.updateMany({
    where: { id: requestId, status: { in: from } },
    data: {
      status: data.status,
      ...(data.decisionReason !== undefined ? { decisionReason: data.decisionReason } : {}),
      ...(data.editedArgs !== undefined ? { editedArgs: data.editedArgs as Prisma.InputJsonValue } : {}),
      ...(data.bindingHash !== undefined ? { bindingHash: data.bindingHash } : {}),
      ...(data.decided ? { decidedAt: new Date() } : {}),
      ...(data.consumed ? { consumedAt: new Date() } : {}),
    },
  });
  return result.count === 1;
}

/**
 * Voids a run's requests that are still open (pending, or approved but not yet consumed),
 * so none can be decided or consumed any more; the caller holds the run's lock. Returns
 * the ids voided, for the audit.
 */
export async function voidOpenRequestsOfRun(tx: Transaction, runId: string, why: string): Promise<string[]> {
  const rows = await tx.approvalRequest.findMany({
    where: { runId, status: { in: ["PENDING", "APPROVED"] } },
    select: { id: true },
  });
  if (rows.length === 0) return [];
  await tx.approvalRequest.updateMany({
    where: { id: { in: rows.map((row) => row.id) }, status: { in: ["PENDING", "APPROVED"] } },
    data: { status: "VOIDED", decisionReason: `Voided: ${why}.`, decidedAt: new Date() },
  });
  await notifyApprovalsChanged(tx, runId);
  return rows.map((row) => row.id);
}

/**
 * A reviewer's vote, at most one per request and reviewer, and the approvals the request
 * now has for the vote's binding (this one included), in one statement. The caller holds
 * the request's lock, so no other vote on it lands in between.
 */
export async function insertApprovalVote(
  tx: Transaction,
  data: {
    requestId: string;
    reviewerId: string;
    verdict: ApprovalVerdict;
    reason?: string;
    bindingHash: string;
    editedArgs?: unknown;
  },
): Promise<{ inserted: boolean; approvals: number }> {
  // The outer SELECT reads the snapshot from before the INSERT: the new row is added to the count by hand.
  const rows = await tx.$queryRawUnsafe<{ inserted: number; approvals: number }[]>(
    `WITH vote AS (
       INSERT INTO "ApprovalDecision" (id, "requestId", "reviewerId", verdict, reason, "bindingHash", "editedArgs")
       VALUES (gen_random_uuid()::text, $1, $2, $3::"ApprovalVerdict", $4, $5, $6::jsonb)
       ON CONFLICT ("requestId", "reviewerId") DO NOTHING
       RETURNING verdict
     )
     SELECT (SELECT count(*) FROM vote)::int AS inserted,
            ((SELECT count(*) FROM "ApprovalDecision" WHERE "requestId" = $1 AND "bindingHash" = $5 AND verdict = 'APPROVE')
             + (SELECT count(*) FROM vote WHERE verdict = 'APPROVE'))::int AS approvals`,
    data.requestId,
    data.reviewerId,
    data.verdict,
    data.reason ?? null,
    data.bindingHash,
    data.editedArgs === undefined ? null : JSON.stringify(data.editedArgs),
  );
  const row = rows[0] ?? { inserted: 0, approvals: 0 };
  return { inserted: row.inserted === 1, approvals: row.approvals };
}

export function listDecisions(requestId: string, tx: Transaction = db()) {
  return tx.approvalDecision.findMany({
    where: { requestId },
    orderBy: { createdAt: "asc" },
    select: {
      reviewerId: true,
      verdict: true,
      reason: true,
      createdAt: true,
      bindingHash: true,
      reviewer: { select: { name: true, email: true } },
    },
  });
}

/** Pending requests whose time ran out, oldest first. */
export async function findExpiredRequestIds(limit = 100): Promise<string[]> {
  const rows = await db().approvalRequest.findMany({
    where: { status: "PENDING", expiresAt: { lt: new Date() } },
    orderBy: { expiresAt: "asc" },
    take: limit,
    select: { id: true },
  });
  return rows.map((row) => row.id);
}

export interface InboxFilter {
  statuses?: ApprovalStatus[];
  riskClasses?: RiskClass[];
  toolName?: string;
  requesterId?: string;
  olderThanMinutes?: number;
  newerThanMinutes?: number;
  limit: number;
}

export function listApprovalRequests(filter: InboxFilter) {
  const now = Date.now();
  return db().approvalRequest.findMany({
    where: {
      ...(filter.statuses ? { status: { in: filter.statuses } } : {}),
      ...(filter.riskClasses ? { riskClass: { in: filter.riskClasses } } : {}),
      ...(filter.toolName ? { toolName: filter.toolName } : {}),
      ...(filter.requesterId ? { requesterId: filter.requesterId } : {}),
      ...(filter.olderThanMinutes !== undefined || filter.newerThanMinutes !== undefined
        ? {
            createdAt: {
              ...(filter.olderThanMinutes !== undefined
                ? { lte: new Date(now - filter.olderThanMinutes * 60_000) }
                : {}),
              ...(filter.newerThanMinutes !== undefined
                ? { gte: new Date(now - filter.newerThanMinutes * 60_000) }
                : {}),
            },
          }
        : {}),
    },
    orderBy: { createdAt: "desc" },
    take: filter.limit,
    select: {
      ...approvalRequestSelect,
      decisions: { select: { reviewerId: true, verdict: true, bindingHash: true } },
      toolCall: { select: toolCallOutcomeSelect },
    },
  });
}

/** What became of a request's tool call: what a reviewer is told about the call they decided. */
const toolCallOutcomeSelect = { status: true, error: true } satisfies Prisma.ToolCallSelect;

export function findToolCallOutcome(toolCallId: string) {
  return db().toolCall.findUnique({ where: { id: toolCallId }, select: toolCallOutcomeSelect });
}

export async function countPendingApprovals(): Promise<number> {
  return db().approvalRequest.count({ where: { status: "PENDING" } });
}

/** An edit by a reviewer: the request now binds to the edited arguments under the current policy. */
export async function rebindApprovalRequest(
  tx: Transaction,
  requestId: string,
  data: { editedArgs: unknown; bindingHash: string; policyVersion: number; requiredApprovals: number },
): Promise<void> {
  await tx.approvalRequest.update({
    where: { id: requestId },
    data: {
      editedArgs: data.editedArgs as Prisma.InputJsonValue,
      bindingHash: data.bindingHash,
      policyVersion: data.policyVersion,
      requiredApprovals: data.requiredApprovals,
    },
    select: { id: true },
  });
}

export function findReviewer(userId: string, tx: Transaction) {
  return tx.user.findUnique({ where: { id: userId }, select: { id: true, name: true, role: true, active: true } });
}
