/**
 * A reviewer rejects: their vote is recorded (once), the request is closed without
 * running, and the model is told who rejected it and why.
 */
import type { ApprovalRequestRow } from "../db/approvals";
import { insertApprovalVote } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { closeRequestWithoutRunning } from "./close-request";
import type { DecisionResult, Reviewer } from "./decision";

export async function rejectRequest(
  tx: Transaction,
  options: { request: ApprovalRequestRow; reviewer: Reviewer; reason: string },
): Promise<DecisionResult> {
  const { request, reviewer } = options;
  const reason = options.reason.trim();
  const vote = await insertApprovalVote(tx, {
    requestId: request.id,
    reviewerId: reviewer.id,
    verdict: "REJECT",
    reason,
    bindingHash: request.bindingHash,
  });
  if (!vote.inserted) throw new AirlockError("approval:already-voted", "You already decided on this request.");
  await closeRequestWithoutRunning(tx, request, {
    status: "REJECTED",
    reason,
    callError: `Rejected by ${reviewer.name}: ${reason}`,
    audit: { actorId: reviewer.id, action: "approval.rejected", data: { reason, toolName: request.toolName } },
  });
  return { requestId: request.id, status: "REJECTED", approvals: 0, requiredApprovals: request.requiredApprovals };
}
