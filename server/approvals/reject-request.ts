/**
 * A reviewer rejects: their vote is recorded (once), the request is closed without
 * running, and the model is told, as a plain result, that a reviewer rejected it, why, and
 * not to retry it (rejection-notice.ts). The reason may quote a value released in the
 * conversation: the run event and the audit data, which others may see, hide it.
 */
import type { ApprovalRequestRow } from "../db/approvals";
import { insertApprovalVote } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { maskDeep } from "../shared/sensitive-values";
import { closeRequestWithoutRunning } from "./close-request";
import type { DecisionResult, Reviewer } from "./decision";
import { type RejectedCallResult, rejectionNotice } from "./rejection-notice";

export async function rejectRequest(
  tx: Transaction,
  options: {
    request: ApprovalRequestRow;
    reviewer: Reviewer;
    reason: string;
    /** Values released in the request's conversation (released-values.ts). */
    released: ReadonlySet<string>;
  },
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
  const notice = rejectionNotice(reason);
  const callResult: RejectedCallResult = { notExecuted: "rejected-by-reviewer", requestId: request.id };
  await closeRequestWithoutRunning(tx, request, {
    status: "REJECTED",
    reason,
    callError: notice,
    callResult,
    eventCallError: maskDeep(notice, options.released),
    audit: {
      actorId: reviewer.id,
      action: "approval.rejected",
      data: maskDeep({ reason, toolName: request.toolName }, options.released),
    },
  });
  return { requestId: request.id, status: "REJECTED", approvals: 0, requiredApprovals: request.requiredApprovals };
}
