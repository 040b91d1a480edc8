import { findApprovalRequest, lockApprovalRequest } from "../db/approvals";
import { lockRun } from "../db/runs";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { closeRequestWithoutRunning } from "./close-request";

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
    await closeRequestWithoutRunning(tx, request, {
      status: "CANCELLED",
      reason: "Withdrawn by the requester.",
      callError: "The requester withdrew this request.",
      audit: { actorId: options.userId, action: "approval.cancelled", data: {} },
    });
  });
}
