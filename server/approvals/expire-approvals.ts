import { findApprovalRequest, findExpiredRequestIds, lockApprovalRequest } from "../db/approvals";
import { lockRun } from "../db/runs";
import { inTransaction } from "../db/transaction";
import { findSessionUser } from "../db/users";
import { countClosedApproval } from "./approval-tracing";
import { closeRequestWithoutRunning } from "./close-request";
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
