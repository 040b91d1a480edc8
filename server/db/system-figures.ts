/**
 * Figures about the whole system, read from the database: the same on every instance of
 * a deployment (metrics gauges, the admin overview).
 */
import { db } from "./client";

export interface SystemFiguresRow {
  pendingApprovals: number;
  oldestPendingApprovalSeconds: number;
  queuedRuns: number;
  runsByStatus: Record<string, number>;
  unknownOutcomeCalls: number;
  /** Runs that ended in the last hour, and how many of them failed. */
  finishedLastHour: number;
  failedLastHour: number;
}

export async function readSystemFigures(): Promise<SystemFiguresRow> {
  const hourAgo = new Date(Date.now() - 3_600_000);
  const [pending, oldest, runs, unknown, finished, failed] = await Promise.all([
    db().approvalRequest.count({ where: { status: "PENDING" } }),
    db().approvalRequest.findFirst({
      where: { status: "PENDING" },
      orderBy: { createdAt: "asc" },
      select: { createdAt: true },
    }),
    db().run.groupBy({ by: ["status"], _count: { _all: true } }),
    db().toolCall.count({ where: { status: "UNKNOWN_OUTCOME" } }),
    db().run.count({ where: { finishedAt: { gte: hourAgo }, status: { in: ["COMPLETED", "FAILED", "CANCELLED"] } } }),
    db().run.count({ where: { finishedAt: { gte: hourAgo }, status: "FAILED" } }),
  ]);
  const runsByStatus = Object.fromEntries(runs.map((row) => [row.status, row._count._all]));
  return {
    pendingApprovals: pending,
    oldestPendingApprovalSeconds: oldest ? Math.max(0, (Date.now() - oldest.createdAt.getTime()) / 1000) : 0,
    queuedRuns: runsByStatus.QUEUED ?? 0,
    runsByStatus,
    unknownOutcomeCalls: unknown,
    finishedLastHour: finished,
    failedLastHour: failed,
  };
}
