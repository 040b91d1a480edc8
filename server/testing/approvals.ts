/**
 * Approval helpers for tests and the approval benchmark, free of the test runner (the
 * benchmark imports them outside Vitest).
 */
import { db } from "../db/client";
import { AirlockError } from "../errors";

/** The run's pending approval request, now (it must have one). */
export async function findPendingRequestId(runId: string): Promise<string> {
  const request = await db().approvalRequest.findFirst({ where: { runId, status: "PENDING" }, select: { id: true } });
  if (!request) throw new Error(`run ${runId} has no pending approval request`);
  return request.id;
}

/** "OK", or the AirlockError's code a refused call threw; any other error is rethrown. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof AirlockError) return error.code;
    throw error;
  }
}
