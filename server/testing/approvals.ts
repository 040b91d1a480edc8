/** Approval helpers for tests and the approval benchmark, free of the test runner (the benchmark runs outside Vitest). */
import { db } from "../db/client";

/** The run's pending approval request, now (it must have one). */
export async function findPendingRequestId(runId: string): Promise<string> {
  const request = await db().approvalRequest.findFirst({ where: { runId, status: "PENDING" }, select: { id: true } });
  if (!request) throw new Error(`run ${runId} has no pending approval request`);
  return request.id;
}
