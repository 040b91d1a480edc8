/** The requester withdraws a pending request: the call is refused as withdrawn and the run goes on. */
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  findApprovalRequest,
  lockApprovalRequest,
  notifyApprovalsChanged,
  transitionApprovalRequest,
} from "../db/approvals";
import { lockRun, requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";

export async function cancelApprovalRequest(options: { requestId: string; userId: string }): Promise<void> {
  const peek = await findApprovalRequest(options.requestId);
  if (!peek || peek.requesterId !== options.userId) {
    throw new AirlockError("approval:not-found", "This approval request does not exist or is not yours.");
  }
  await inTransaction(async (tx) => {
    await lockRun(peek.runId, tx);
    const request = await lockApprovalRequest(tx, options.requestId);
    if (request?.status !== "PENDING") {
      throw new AirlockError(
        "approval:already-decided",
        `This request was already decided: it is ${request?.status.toLowerCase()}.`,
      );
    }
    await transitionApprovalRequest(tx, request.id, ["PENDING"], {
      status: "CANCELLED",
      decisionReason: "Withdrawn by the requester.",
      decided: true,
    });
    await setToolCallStatus(tx, {
      toolCallId: request.toolCallId,
      from: ["AWAITING_APPROVAL"],
      to: "REFUSED",
      error: "The requester withdrew this request.",
    });
    await requeueRun(request.runId, tx);
    await recordAuditEvent(tx, {
      actorId: options.userId,
      action: "approval.cancelled",
      targetType: "approval",
      targetId: request.id,
      data: {},
    });
    await notifyApprovalsChanged(tx, request.id);
  });
}
