/**
 * One reviewer's approval counted: their vote for the binding the request has now (once
 * per reviewer), and when it is the last one required, the request APPROVED, its call
 * APPROVED and the run queued to execute it. Audited either way, in the caller's
 * transaction, which holds the run's and the request's locks.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  type ApprovalRequestRow,
  insertApprovalVote,
  notifyApprovalsChanged,
  transitionApprovalRequest,
} from "../db/approvals";
import { requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { DecisionResult, Reviewer } from "./decision";
import type { EditedBinding } from "./edit-arguments";

export async function countApproval(
  tx: Transaction,
  options: {
    request: ApprovalRequestRow;
    reviewer: Reviewer;
    reason?: string;
    /** Set when this reviewer edited the arguments: the binding is then the edit's. */
    edit?: EditedBinding;
  },
): Promise<DecisionResult> {
  const { request, reviewer, reason, edit } = options;
  const binding = edit?.bindingHash ?? request.bindingHash;
  const requiredApprovals = edit?.requiredApprovals ?? request.requiredApprovals;
  const vote = await insertApprovalVote(tx, {
    requestId: request.id,
    reviewerId: reviewer.id,
    verdict: "APPROVE",
    ...(reason ? { reason } : {}),
    bindingHash: binding,
    editedArgs: edit?.editedArgs,
  });
  if (!vote.inserted) {
    throw new AirlockError(
      "approval:already-voted",
      "You already approved this request; another reviewer must add theirs.",
    );
  }
  const { approvals } = vote;
  const complete = approvals >= requiredApprovals;
  if (complete) {
    await transitionApprovalRequest(tx, request.id, ["PENDING"], {
      status: "APPROVED",
      decided: true,
      ...(reason ? { decisionReason: reason } : {}),
    });
    await setToolCallStatus(tx, { toolCallId: request.toolCallId, from: ["AWAITING_APPROVAL"], to: "APPROVED" });
    await requeueRun(request.runId, tx);
  }
  await recordAuditEvent(tx, {
    actorId: reviewer.id,
    action: "approval.approved",
    targetType: "approval",
    targetId: request.id,
    data: { approvals, requiredApprovals, complete, toolName: request.toolName, edited: edit !== undefined },
  });
  await notifyApprovalsChanged(tx, request.id);
  return { requestId: request.id, status: complete ? "APPROVED" : "PENDING", approvals, requiredApprovals };
}
