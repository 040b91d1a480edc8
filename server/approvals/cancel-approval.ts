/** The requester withdraws their own pending request: it is closed without running, and the model is told. */
import { lockRequestAndRun } from "../db/approvals";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { closeRequestWithoutRunning } from "./close-request";

export async function cancelApprovalRequest(options: { requestId: string; userId: string }): Promise<void> {
  await inTransaction(async (tx) => {
    const request = await lockRequestAndRun(tx, options.requestId);
    // Someone else's request answers as one that does not exist: its id tells a stranger nothing.
    if (!request || request.requesterId !== options.userId) {
      throw new AirlockError("approval:not-found", "This approval request does not exist or is not yours.");
    }
    if (request.status !== "PENDING") {
      throw new AirlockError(
        "approval:already-decided",
        `This request was already decided: it is ${request.status.toLowerCase()}.`,
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
