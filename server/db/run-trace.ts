/**
 * The trace context a run carries (a W3C `traceparent`), so every attempt — on any
 * instance, after any wait — continues the run's one trace, and a reviewer's decision
 * is recorded in it.
 */
import { db } from "./client";
import { sql } from "./sql-batch";
import type { Transaction } from "./transaction";

/** Sets the run's trace context; part of the batch that queues the run. */
export function storeRunTraceStatement(runId: string, traceparent: string): string {
  return sql(`UPDATE "Run" SET "traceContext" = $2 WHERE "id" = $1`, runId, traceparent);
}

export async function storeRunTraceContext(runId: string, traceparent: string): Promise<void> {
  await db().run.update({ where: { id: runId }, data: { traceContext: traceparent }, select: { id: true } });
}

/** The run's stored W3C trace context (null before its first traced attempt). */
export async function readRunTraceContext(runId: string, tx: Transaction = db()): Promise<string | null> {
  const run = await tx.run.findUnique({ where: { id: runId }, select: { traceContext: true } });
  return run?.traceContext ?? null;
}

/** What a decision's spans need of its request, with its run's trace context. */
export async function readApprovalForTrace(requestId: string, tx: Transaction = db()) {
  const request = await tx.approvalRequest.findUnique({
    where: { id: requestId },
    select: {
      id: true,
      runId: true,
      toolName: true,
      riskClass: true,
      createdAt: true,
      requiredApprovals: true,
    },
  });
  if (!request) return null;
  return { ...request, traceContext: await readRunTraceContext(request.runId, tx) };
}
