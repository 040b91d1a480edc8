/**
 * Right before an approved call executes: the approval must still bind to exactly what
 * will run (tool, arguments, tool definition version, policy version). If it does, it is
 * consumed — a single-use, conditional state change in the caller's transaction — and
 * the arguments to run are returned (the edited ones, when a reviewer edited them).
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { findApprovalRequestByToolCall, notifyApprovalsChanged, transitionApprovalRequest } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { bindingHash } from "./binding";

export type Consumption = { ok: true; args: unknown; requestId: string } | { ok: false; reason: string };

export async function consumeApproval(
  tx: Transaction,
  options: {
    toolCallId: string;
    toolName: string;
    toolVersion: string | undefined;
    policyVersion: number;
    workerId: string;
  },
): Promise<Consumption> {
  const request = await findApprovalRequestByToolCall(options.toolCallId, tx);
  if (request?.status !== "APPROVED") return { ok: false, reason: "there is no unused approval for this call" };
  const args = request.editedArgs ?? request.args;
  const current = bindingHash({
    toolName: options.toolName,
    args,
    toolVersion: options.toolVersion ?? "(tool missing)",
    policyVersion: options.policyVersion,
  });
  if (current !== request.bindingHash) {
    const why =
      options.toolVersion === undefined
        ? "the tool no longer exists"
        : options.toolVersion !== request.toolVersion
          ? "the tool's definition changed after approval"
          : options.policyVersion !== request.policyVersion
            ? "the policy changed after approval"
            : "the arguments changed after approval";
    await transitionApprovalRequest(tx, request.id, ["APPROVED"], {
      status: "VOIDED",
      decisionReason: `Voided: ${why}.`,
    });
    await recordAuditEvent(tx, {
      actorId: null,
      action: "approval.voided",
      targetType: "approval",
      targetId: request.id,
      data: { why },
    });
    await notifyApprovalsChanged(tx, request.id);
    return { ok: false, reason: why };
  }
  if (!(await transitionApprovalRequest(tx, request.id, ["APPROVED"], { status: "CONSUMED", consumed: true }))) {
    return { ok: false, reason: "the approval was already used" };
  }
  await recordAuditEvent(tx, {
    actorId: null,
    action: "approval.consumed",
    targetType: "approval",
    targetId: request.id,
    data: { toolName: options.toolName, workerId: options.workerId },
  });
  return { ok: true, args, requestId: request.id };
}
