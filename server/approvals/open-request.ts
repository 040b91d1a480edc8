/**
 * A request a reviewer may decide, locked with its run for the rest of the transaction:
 * it exists, it is not the reviewer's own run's, it is still pending and in time, and its
 * requester is still active. Everything after this sees the state the lock holds, so
 * concurrent decisions and replays see what the first one left.
 */
import { type ApprovalRequestRow, findReviewer, lockRequestAndRun } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";

export type OpenRequest = { request: ApprovalRequestRow; requester: { role: Role } } | { expired: true };

/** Throws the refusal's code; `{ expired }` when time ran out (the caller expires it after this transaction). */
export async function lockOpenRequest(
  tx: Transaction,
  options: { requestId: string; reviewerId: string },
): Promise<OpenRequest> {
  const request = await lockRequestAndRun(tx, options.requestId);
  if (!request) throw new AirlockError("approval:not-found", "This approval request does not exist.");
  if (request.requesterId === options.reviewerId) {
    throw new AirlockError(
      "approval:own-request",
      "You cannot decide a request that your own run made. Another reviewer must.",
    );
  }
  if (request.status === "VOIDED") {
    throw new AirlockError(
      "approval:voided",
      `This request no longer applies: ${request.decisionReason?.replace(/^Voided: /, "") ?? "it was voided."} Nothing was run.`,
    );
  }
  if (request.status !== "PENDING") {
    throw new AirlockError(
      "approval:already-decided",
      `This request was already decided: it is ${request.status.toLowerCase()}.`,
    );
  }
  if (request.expiresAt.getTime() <= Date.now()) return { expired: true };
  // Deactivation voids the requester's open requests; one made in a race with it (the run
  // was queued just before the deactivation committed) is refused here all the same.
  const requester = await findReviewer(request.requesterId, tx);
  if (!requester?.active) {
    throw new AirlockError(
      "approval:voided",
      "This request no longer applies: the requester was deactivated. Nothing was run.",
    );
  }
  return { request, requester };
}
