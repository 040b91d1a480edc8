/**
 * Who may decide: an active REVIEWER or ADMIN, read from their row in this transaction
 * (never from a session token), so a demoted or deactivated reviewer is refused at once.
 */
import { findReviewer } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";

const REVIEWER_ROLES: ReadonlySet<Role> = new Set(["REVIEWER", "ADMIN"]);

export async function requireReviewer(tx: Transaction, reviewerId: string): Promise<{ id: string; name: string }> {
  const reviewer = await findReviewer(reviewerId, tx);
  if (!reviewer?.active || !REVIEWER_ROLES.has(reviewer.role)) {
    throw new AirlockError("approval:not-reviewer", "Only active reviewers and admins can decide approval requests.");
  }
  return reviewer;
}
