/** A run as the HTTP API reports it: the run, its tool calls with their latest approval, its assistant text. */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import { runSummarySelect } from "./runs";

const outcomeToolCallSelect = {
  id: true,
  toolName: true,
  status: true,
  riskClass: true,
  error: true,
  result: true,
  approvals: {
    orderBy: { createdAt: "desc" },
    take: 1,
    select: { id: true, status: true, decisionReason: true },
  },
} satisfies Prisma.ToolCallSelect;

export const pendingApprovalSelect = {
  id: true,
  toolCallId: true,
  toolName: true,
  riskClass: true,
  status: true,
  requiredApprovals: true,
  reasons: true,
  createdAt: true,
  expiresAt: true,
  _count: { select: { decisions: { where: { verdict: "APPROVE" } } } },
} satisfies Prisma.ApprovalRequestSelect;

export type PendingApprovalRow = Prisma.ApprovalRequestGetPayload<{ select: typeof pendingApprovalSelect }>;

/** The run's approval requests still waiting for reviewers, oldest first. */
export function listPendingApprovalsOfRun(runId: string): Promise<PendingApprovalRow[]> {
  return db().approvalRequest.findMany({
    where: { runId, status: "PENDING" },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: pendingApprovalSelect,
  });
}

export function readRunOutcome(runId: string) {
  return Promise.all([
    db().run.findUnique({ where: { id: runId }, select: runSummarySelect }),
    db().toolCall.findMany({
      where: { runId },
      orderBy: [{ createdAt: "asc" }, { position: "asc" }],
      select: outcomeToolCallSelect,
    }),
    db().message.findMany({
      where: { runId, role: "ASSISTANT" },
      orderBy: { id: "asc" },
      select: { parts: true },
    }),
    listPendingApprovalsOfRun(runId),
  ]);
}
