/** What the run trace view is built from: the run, its steps, tool calls and approvals, as stored. */
import { db } from "./client";
import type { Prisma } from "./generated/client";

const traceRunSelect = {
  id: true,
  userId: true,
  conversationId: true,
  status: true,
  modelId: true,
  error: true,
  attempts: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  traceContext: true,
  steps: {
    orderBy: { index: "asc" },
    select: {
      id: true,
      index: true,
      modelId: true,
      finishReason: true,
      inputTokens: true,
      outputTokens: true,
      latencyMs: true,
      ttftMs: true,
      createdAt: true,
    },
  },
  toolCalls: {
    orderBy: [{ createdAt: "asc" }, { position: "asc" }],
    select: {
      id: true,
      stepId: true,
      position: true,
      toolName: true,
      riskClass: true,
      status: true,
      error: true,
      attempts: true,
      createdAt: true,
      startedAt: true,
      finishedAt: true,
      approvals: {
        orderBy: { createdAt: "asc" },
        select: {
          id: true,
          status: true,
          reasons: true,
          policyVersion: true,
          requiredApprovals: true,
          createdAt: true,
          decidedAt: true,
          expiresAt: true,
          decisionReason: true,
          decisions: {
            orderBy: { createdAt: "asc" },
            select: { verdict: true, createdAt: true, reviewer: { select: { id: true, name: true } } },
          },
        },
      },
    },
  },
} satisfies Prisma.RunSelect;

export type TraceRunRow = Prisma.RunGetPayload<{ select: typeof traceRunSelect }>;

export async function readRunForTrace(runId: string): Promise<TraceRunRow | null> {
  return db().run.findUnique({ where: { id: runId }, select: traceRunSelect });
}
