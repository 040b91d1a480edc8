/**
 * A reviewer approves, with or without edits, under the policy in force: an edit rebinds
 * the request to the edited arguments; without one, a request the tool or the policy has
 * moved on from goes void instead of counting. Then the approval is counted.
 */
import type { ApprovalRequestRow } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import type { Role } from "../shared/risk";
import type { ToolRegistry } from "../tools/registry";
import { countApproval } from "./count-approval";
import { loadPolicy } from "./current-policy";
import type { DecisionResult, ReviewDecision, Reviewer } from "./decision";
import { rebindToEdit } from "./edit-arguments";
import { voidIfStale } from "./void-if-stale";

export async function approveRequest(
  tx: Transaction,
  options: {
    request: ApprovalRequestRow;
    requester: { role: Role };
    reviewer: Reviewer;
    decision: Extract<ReviewDecision, { verdict: "approve" }>;
    tools: ToolRegistry;
  },
): Promise<DecisionResult | { voided: string }> {
  const { request, reviewer, decision, tools } = options;
  const policy = await loadPolicy(tx);
  if (decision.editedArgs === undefined) {
    const voided = await voidIfStale(tx, { request, tools, policyVersion: policy.version, reviewerId: reviewer.id });
    if (voided) return { voided };
    return countApproval(tx, { request, reviewer, ...(decision.reason ? { reason: decision.reason } : {}) });
  }
  const edit = await rebindToEdit(tx, {
    request,
    requester: options.requester,
    editedArgs: decision.editedArgs,
    reviewerId: reviewer.id,
    policy,
    tools,
  });
  return countApproval(tx, { request, reviewer, edit, ...(decision.reason ? { reason: decision.reason } : {}) });
}
