/**
 * Creates the approval request for a gated call, inside the engine's transaction that
 * parks the call, with its audit event; the webhook notice goes out after commit.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { type ApprovalRequestRow, insertApprovalRequest, notifyApprovalsChanged } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { findSessionUser } from "../db/users";
import type { PolicyDecision } from "../policy/types";
import type { RiskClass } from "../shared/risk";
import { maskDeep } from "../shared/sensitive-values";
import type { ToolPreview } from "../tools/define-tool";
import { traceApprovalRequested } from "./approval-tracing";
import { bindingHash } from "./binding";
import { sendWebhookNotice } from "./webhook";

export async function createApprovalRequest(
  tx: Transaction,
  options: {
    toolCallId: string;
    runId: string;
    conversationId: string;
    requesterId: string;
    toolName: string;
    toolVersion: string;
    args: unknown;
    riskClass: RiskClass;
    decision: PolicyDecision;
    preview: ToolPreview | null;
    expiryMinutes: number;
  },
): Promise<ApprovalRequestRow> {
  const request = await insertApprovalRequest(tx, {
    toolCallId: options.toolCallId,
    runId: options.runId,
    conversationId: options.conversationId,
    requesterId: options.requesterId,
    toolName: options.toolName,
    toolVersion: options.toolVersion,
    policyVersion: options.decision.policyVersion,
    riskClass: options.riskClass,
    args: options.args,
    bindingHash: bindingHash({
      toolName: options.toolName,
      args: options.args,
      toolVersion: options.toolVersion,
      policyVersion: options.decision.policyVersion,
    }),
    reasons: options.decision.reasons,
    preview: options.preview,
    requiredApprovals: Math.max(1, options.decision.requiredApprovals),
    expiresAt: new Date(Date.now() + options.expiryMinutes * 60_000),
  });
  await recordAuditEvent(tx, {
    actorId: options.requesterId,
    action: "approval.requested",
    targetType: "approval",
    targetId: request.id,
    data: {
      toolName: options.toolName,
      riskClass: options.riskClass,
      reasons: options.decision.reasons,
      requiredApprovals: request.requiredApprovals,
    },
  });
  await notifyApprovalsChanged(tx, request.id);
  traceApprovalRequested(request);
  return request;
}

/** The webhook notice leaves Airlock: values released in the conversation are hidden from it. */
export async function announceApprovalRequest(
  request: ApprovalRequestRow,
  released: ReadonlySet<string>,
): Promise<void> {
  const requester = await findSessionUser(request.requesterId);
  const preview = request.preview as ToolPreview | null;
  // Masked before it is cut: a value cut in half would no longer be found.
  const summary =
    preview?.summary ?? `${request.toolName} with ${JSON.stringify(maskDeep(request.args, released)).slice(0, 200)}`;
  await sendWebhookNotice(
    maskDeep(
      {
        kind: "approval-requested",
        requestId: request.id,
        toolName: request.toolName,
        riskClass: request.riskClass,
        summary,
        requester: requester?.email ?? request.requesterId,
      },
      released,
    ),
  );
}
