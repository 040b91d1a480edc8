/**
 * Ending a pending request without running its call (rejected, expired, withdrawn): the
 * request takes its final status, the call is refused with the reason the model will
 * read, the run is queued to go on, and it is audited — in the caller's transaction,
 * which must hold the run's lock (lockRun) and the request's.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { type ApprovalRequestRow, notifyApprovalsChanged, transitionApprovalRequest } from "../db/approvals";
import { requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import type { Transaction } from "../db/transaction";

export async function closeRequestWithoutRunning(
  tx: Transaction,
  request: ApprovalRequestRow,
  outcome: {
    status: "REJECTED" | "EXPIRED" | "CANCELLED";
    /** Recorded on the request. */
    reason: string;
    /** What the model is told. */
    callError: string;
    /** The call's result: a rejection's mark, so the model is told as a plain result (rejection-notice.ts). */
    callResult?: unknown;
    /** The run event's copy of callError, released values hidden (others may see the events). */
    eventCallError?: string;
    audit: { actorId: string | null; action: string; data: Record<string, unknown> };
  },
): Promise<void> {
  await transitionApprovalRequest(tx, request.id, ["PENDING"], {
    status: outcome.status,
    decisionReason: outcome.reason,
    decided: true,
  });
  await setToolCallStatus(tx, {
    toolCallId: request.toolCallId,
    from: ["AWAITING_APPROVAL"],
    to: "REFUSED",
    error: outcome.callError,
    ...(outcome.callResult !== undefined ? { result: outcome.callResult } : {}),
    ...(outcome.eventCallError !== undefined ? { eventError: outcome.eventCallError } : {}),
  });
  await requeueRun(request.runId, tx);
  await recordAuditEvent(tx, { ...outcome.audit, targetType: "approval", targetId: request.id });
  await notifyApprovalsChanged(tx, request.id);
}
