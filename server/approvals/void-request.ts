/**
 * A request that no longer applies goes void — still pending (a reviewer found it stale)
 * or approved but not yet used (the engine found it stale, or the call will not run) —
 * audited and announced to inboxes, in the caller's transaction.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { notifyApprovalsChanged, transitionApprovalRequest } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { countClosedApproval } from "./approval-tracing";

/** False when the request had already left `from` (someone else ended it first): nothing is written then. */
export async function voidApprovalRequest(
  tx: Transaction,
  options: { requestId: string; from: "PENDING" | "APPROVED"; why: string; actorId: string | null },
): Promise<boolean> {
  const voided = await transitionApprovalRequest(tx, options.requestId, [options.from], {
    status: "VOIDED",
    decisionReason: `Voided: ${options.why}.`,
    // An approved request was decided when it was approved; a pending one is decided now.
    decided: options.from === "PENDING",
  });
  if (!voided) return false;
  await recordAuditEvent(tx, {
    actorId: options.actorId,
    action: "approval.voided",
    targetType: "approval",
    targetId: options.requestId,
    data: { why: options.why },
  });
  countClosedApproval("voided");
  await notifyApprovalsChanged(tx, options.requestId);
  return true;
}
