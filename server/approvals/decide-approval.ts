/**
 * A reviewer's decision on one request: an authorization check and an atomic, single-use
 * state change in one transaction. The request and its run are locked, so concurrent
 * decisions and replays see the state the first one left; the vote is unique per
 * reviewer. Refused attempts (replays, foreign ids, own requests, expired) are audited too.
 *
 * The pieces, one file each: require-reviewer (who may decide), open-request (the locked
 * request and the checks on it), reject-request, approve-request (edit-arguments or
 * void-if-stale, then count-approval).
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { inTransaction, type Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { ToolRegistry } from "../tools/registry";
import { traceApprovalDecision } from "./approval-tracing";
import { approveRequest } from "./approve-request";
import type { DecisionResult, ReviewDecision } from "./decision";
import { expireApprovalRequest } from "./expire-approvals";
import { lockOpenRequest } from "./open-request";
import { rejectRequest } from "./reject-request";
import { loadSensitiveValues } from "./released-values";
import { requireReviewer } from "./require-reviewer";

export type { DecisionResult, ReviewDecision } from "./decision";

interface DecideOptions {
  requestId: string;
  reviewerId: string;
  decision: ReviewDecision;
  tools: ToolRegistry;
}

type Outcome = (DecisionResult & { requestedAt: Date }) | { voided: string } | { expired: true };

async function decideInTransaction(tx: Transaction, options: DecideOptions): Promise<Outcome> {
  const reviewer = await requireReviewer(tx, options.reviewerId);
  const open = await lockOpenRequest(tx, { requestId: options.requestId, reviewerId: reviewer.id });
  if ("expired" in open) return open;
  const { decision, tools } = options;
  const decided =
    decision.verdict === "reject"
      ? await rejectRequest(tx, {
          request: open.request,
          reviewer,
          reason: decision.reason,
          released: await loadSensitiveValues(open.request.conversationId, tools),
        })
      : await approveRequest(tx, { ...open, reviewer, decision, tools });
  return "voided" in decided ? decided : { ...decided, requestedAt: open.request.createdAt };
}

/** A refused attempt, audited in a transaction of its own (the decision's rolled back). */
function auditRefusal(options: DecideOptions, code: string): Promise<void> {
  return inTransaction((tx) =>
    recordAuditEvent(tx, {
      actorId: options.reviewerId,
      action: "approval.decision-refused",
      targetType: "approval",
      targetId: options.requestId,
      data: { code, verdict: options.decision.verdict },
    }),
  );
}

export async function decideApproval(options: DecideOptions): Promise<DecisionResult> {
  let outcome: Outcome;
  try {
    outcome = await inTransaction((tx) => decideInTransaction(tx, options));
  } catch (error) {
    if (error instanceof AirlockError && error.code.startsWith("approval:")) {
      await auditRefusal(options, error.code).catch(() => {});
    }
    throw error;
  }
  if ("expired" in outcome) {
    await expireApprovalRequest(options.requestId);
    await auditRefusal(options, "approval:expired");
    throw new AirlockError("approval:expired", "This request expired before it was decided; the agent was told.");
  }
  if ("voided" in outcome) {
    throw new AirlockError(
      "approval:voided",
      `This request no longer applies: ${outcome.voided}. The agent's call is evaluated again and, if still needed, asked anew.`,
    );
  }
  // Telemetry never undoes or fails a committed decision.
  await traceApprovalDecision({
    requestId: options.requestId,
    reviewerId: options.reviewerId,
    verdict: options.decision.verdict,
    edited: options.decision.verdict === "approve" && options.decision.editedArgs !== undefined,
    status: outcome.status,
    requestedAt: outcome.requestedAt,
  }).catch(() => {});
  const { requestedAt: _requestedAt, ...result } = outcome;
  return result;
}
