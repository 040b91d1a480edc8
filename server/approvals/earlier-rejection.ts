/**
 * "Reviewers are not nagged; the model is not rewarded for retrying": a call with the same
 * binding (binding.ts: tool, canonical arguments, tool version, policy version) as one a
 * reviewer rejected earlier in the same conversation is refused at once with that
 * reviewer's reason instead of becoming a new request. The engine asks this inside the
 * transaction that would otherwise create the request (tool-calls.ts), so the check and
 * the creation are one decision in the database; the simulator asks it too.
 */
import { findRejectedRequestWithBinding } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { type Binding, bindingHash } from "./binding";

/** The rule's name, in the refused call's audit data and the simulator's reasons. */
export const REJECTED_EARLIER_RULE = "rejected-earlier";

export const REJECTED_EARLIER_RULE_TEXT =
  "A call with the same binding (tool, arguments, tool version, policy version) as one a reviewer rejected earlier in the same conversation is refused at once with that reason, not asked again.";

export interface EarlierRejection {
  requestId: string;
  reason: string;
  rejectedAt: Date | null;
}

/** `tx`: the transaction that would create the request (the simulator, which creates none, reads without one). */
export async function findEarlierRejection(
  options: { conversationId: string; binding: Binding },
  tx?: Transaction,
): Promise<EarlierRejection | null> {
  const rejected = await findRejectedRequestWithBinding(
    { conversationId: options.conversationId, bindingHash: bindingHash(options.binding) },
    tx,
  );
  if (!rejected) return null;
  return {
    requestId: rejected.id,
    reason: rejected.decisionReason ?? "no reason was given",
    rejectedAt: rejected.decidedAt,
  };
}
