/**
 * Approvals in the run's trace and in the metrics. A request is a short span where the
 * engine parks the call; the decision, made in a reviewer's request hours later and
 * perhaps on another instance, is recorded in the run's trace (parented to the context
 * stored on the run) as the wait it ended and the decision itself — by user id, never a
 * name or a secret — linked to the reviewer's own request span.
 */
import { readApprovalForTrace } from "../db/run-trace";
import { metrics } from "../telemetry/metrics";
import { contextFromTraceparent, linkToActiveSpan, openSpan, recordSpan, tracingActive } from "../telemetry/tracing";

export function traceApprovalRequested(request: {
  id: string;
  toolName: string;
  riskClass: string;
  requiredApprovals: number;
  expiresAt: Date;
}): void {
  openSpan("approval.requested", {
    "airlock.approval.id": request.id,
    "gen_ai.tool.name": request.toolName,
    "airlock.tool.risk_class": request.riskClass,
    "airlock.approval.required_approvals": request.requiredApprovals,
    "airlock.approval.expires_at": request.expiresAt.toISOString(),
  }).end();
}

const VERDICT_LABEL = { approve: "APPROVE", reject: "REJECT", edit: "APPROVE_WITH_EDITS" } as const;

/** After a decision was committed: its wait and itself, in the run's trace; the metrics. */
export async function traceApprovalDecision(decision: {
  requestId: string;
  reviewerId: string;
  verdict: "approve" | "reject";
  edited: boolean;
  status: string;
  /** When the request was made (read by the decision): the metrics need no read of their own. */
  requestedAt: Date;
}): Promise<void> {
  const verdict = VERDICT_LABEL[decision.verdict === "approve" && decision.edited ? "edit" : decision.verdict];
  const now = new Date();
  const waitedSeconds = Math.max(0, (now.getTime() - decision.requestedAt.getTime()) / 1000);
  metrics.approvalDecisions.inc({ verdict });
  metrics.approvalWait.observe({ verdict }, waitedSeconds);
  if (!tracingActive()) return;
  const request = await readApprovalForTrace(decision.requestId);
  if (!request) return;
  const parent = contextFromTraceparent(request.traceContext);
  const links = linkToActiveSpan({ "airlock.link": "reviewer-request" });
  const attributes = {
    "airlock.run.id": request.runId,
    "airlock.approval.id": request.id,
    "gen_ai.tool.name": request.toolName,
    "airlock.tool.risk_class": request.riskClass,
    "airlock.approval.verdict": verdict,
    "airlock.approval.status": decision.status,
    "airlock.approval.decided_by": decision.reviewerId,
    "airlock.approval.waited_ms": Math.round(waitedSeconds * 1000),
  };
  recordSpan(
    "approval.wait",
    attributes,
    { start: request.createdAt, end: now },
    { ...(parent ? { parent } : {}), links },
  );
  openSpan("approval.decide", attributes, { ...(parent ? { parent } : {}), links }).end();
}

/** An approval that ended unused (expired, voided by a change): counted by why. */
export function countClosedApproval(reason: "expired" | "voided" | "cancelled"): void {
  metrics.approvalsClosed.inc({ reason });
}
