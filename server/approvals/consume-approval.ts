/**
 * Right before an approved call executes: the approval must still bind to exactly what
 * will run. The hash is recomputed from what the caller is about to execute — the tool
 * it will call, the canonical arguments it will pass, that tool's current definition
 * version and the policy version in force — never from the request's own copy of the
 * arguments, so a stored call changed after approval (its arguments, its tool) voids the
 * approval instead of running. If it binds, it is consumed: a single-use, conditional
 * state change in the caller's transaction.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { findApprovalRequestByToolCall, transitionApprovalRequest } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { bindingHash } from "./binding";
import { staleBecause } from "./staleness";
import { voidApprovalRequest } from "./void-request";

export type Consumption = { ok: true; requestId: string } | { ok: false; reason: string };

export async function consumeApproval(
  tx: Transaction,
  options: {
    toolCallId: string;
    /** The tool that will run, as the registry has it now. */
    toolName: string;
    toolVersion: string | undefined;
    /** The canonical arguments that will be passed to it. */
    args: unknown;
    policyVersion: number;
    workerId: string;
  },
): Promise<Consumption> {
  const request = await findApprovalRequestByToolCall(options.toolCallId, tx);
  if (request?.status !== "APPROVED") return { ok: false, reason: "there is no unused approval for this call" };
  const current = bindingHash({
    toolName: options.toolName,
    args: options.args,
    toolVersion: options.toolVersion ?? "(tool missing)",
    policyVersion: options.policyVersion,
  });
  if (current !== request.bindingHash) {
    // Same tool, definition and policy: what differs is the arguments.
    const why = staleBecause(request, options, "approval") ?? "the arguments changed after approval";
    await voidApprovalRequest(tx, { requestId: request.id, from: "APPROVED", why, actorId: null });
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
  return { ok: true, requestId: request.id };
}

/** An approved call that will not run after all (its tool is gone, its arguments no longer valid): its approval goes void. */
export async function voidUnusedApproval(tx: Transaction, options: { toolCallId: string; why: string }): Promise<void> {
  const request = await findApprovalRequestByToolCall(options.toolCallId, tx);
  if (request?.status === "APPROVED") {
    await voidApprovalRequest(tx, { requestId: request.id, from: "APPROVED", why: options.why, actorId: null });
  }
}
