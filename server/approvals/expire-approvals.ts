/**
 * Requests nobody decided in time: closed without running (the model is told), the
 * webhook notified. The worker sweeps them periodically; a reviewer who comes too late
 * expires the one they opened.
 */
import { findExpiredRequestIds, lockRequestAndRun } from "../db/approvals";
import { inTransaction } from "../db/transaction";
import { findSessionUser } from "../db/users";
import { countClosedApproval } from "./approval-tracing";
import { closeRequestWithoutRunning } from "./close-request";
import { sendWebhookNotice } from "./webhook";

export async function expireApprovalRequest(requestId: string): Promise<boolean> {
  const expired = await inTransaction(async (tx) => {
    const request = await lockRequestAndRun(tx, requestId);
    if (request?.status !== "PENDING" || request.expiresAt.getTime() > Date.now()) return null;
    const hours = Math.max(1, Math.round((request.expiresAt.getTime() - request.createdAt.getTime()) / 3_600_000));
    const reason = `No reviewer decided within ${hours} hour${hours === 1 ? "" : "s"}; the request expired.`;
    await closeRequestWithoutRunning(tx, request, {
      status: "EXPIRED",
      reason,
      callError: reason,
      audit: { actorId: null, action: "approval.expired", data: { toolName: request.toolName } },
    });
    return request;
  });
  if (!expired) return false;
  countClosedApproval("expired");
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
