/** What a reviewer submits about one request, and what the decision left behind. */
import type { ApprovalRequestRow } from "../db/approvals";

export type ReviewDecision =
  | { verdict: "approve"; editedArgs?: unknown; reason?: string }
  | { verdict: "reject"; reason: string };

export interface DecisionResult {
  requestId: string;
  status: ApprovalRequestRow["status"];
  approvals: number;
  requiredApprovals: number;
}

/** The reviewer as a decision needs them: who they are, for the audit and for the model's message. */
export interface Reviewer {
  id: string;
  name: string;
}
