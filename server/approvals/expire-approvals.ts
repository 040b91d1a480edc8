/**
 * Expiry: a pending request past its deadline resolves as EXPIRED, the call is refused
 * with that reason (the model is told), the run resumes, and the requester is notified.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  findApprovalRequest,
  findExpiredRequestIds,
  lockApprovalRequest,
  notifyApprovalsChanged,
  transitionApprovalRequest,
} from "../db/approvals";
import { lockRun, requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import { inTransaction } from "../db/transaction";
import { findSessionUser } from "../db/users";
import { sendWebhookNotice } from "./webhook";

export async function expireApprovalRequest(requestId: string): Promise<boolean> {
  const peek = await findApprovalRequest(requestId);
  if (!peek) return false;
  const expired = await inTransaction(async (tx) => {
    await lockRun(peek.runId, tx);
    const request = await lockApprovalRequest(tx, requestId);
    if (request?.status !== "PENDING" || request.expiresAt.getTime() > Date.now()) return null;
    const hours = Math.max(1, Math.round((request.expiresAt.getTime() - request.createdAt.getTime()) / 3_600_000));
    const reason = `No reviewer decided within ${hours} hour${hours === 1 ? "" : "s"}; the request expired.`;
    await transitionApprovalRequest(tx, request.id, ["PENDING"], {
      status: "EXPIRED",
      decisionReason: reason,
      decided: true,
    });
    await setToolCallStatus(tx, {
      toolCallId: request.toolCallId,
      from: ["AWAITING_APPROVAL"],
      to: "REFUSED",
      error: reason,
    });
    await requeueRun(request.runId, tx);
    await recordAuditEvent(tx, {
      actorId: null,
      action: "approval.expired",
      targetType: "approval",
      targetId: request.id,
      data: { toolName: request.toolName },
    });
    await notifyApprovalsChanged(tx, request.id);
    return request;
  });
  if (!expired) return false;
  const requester = await findSessionUser(expired.requesterId);
  await sendWebhookNotice({
    kind: "approval-expired",
    requestId: expired.id,
    toolName: expired.toolName,
    riskClass: expired.riskClass,
    summary: `The agent's ${expired.toolName} call for ${requester?.email ?? "a user"} was not decided in time and was refused.`,
    requester: requester?.email ?? expired.requesterId,
  });
  return true;
}

/** Expires everything overdue; the worker calls this periodically. */
export async function expireOverdueApprovals(): Promise<number> {
  let count = 0;
  for (const id of await findExpiredRequestIds()) {
    if (await expireApprovalRequest(id)) count++;
  }
  return count;
}
