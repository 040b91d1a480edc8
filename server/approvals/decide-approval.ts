/**
 * A reviewer's decision on one request: an authorization check and an atomic, single-use
 * state change in one transaction. The request row is locked, so concurrent decisions
 * and replays see the state the first one left; the decision row is unique per reviewer.
 * Refused attempts (replays, foreign ids, own requests, expired) are audited too.
 */

import { recordAuditEvent } from "../audit/record-audit-event";
import {
  type ApprovalRequestRow,
  countApprovalsForBinding,
  findApprovalRequest,
  findReviewer,
  insertApprovalDecision,
  lockApprovalRequest,
  notifyApprovalsChanged,
  rebindApprovalRequest,
  transitionApprovalRequest,
} from "../db/approvals";
import { lockRun, requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import { inTransaction, type Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";
import { HIDDEN, maskDeep } from "../shared/sensitive-values";
import type { ToolRegistry } from "../tools/registry";
import { traceApprovalDecision } from "./approval-tracing";
import { bindingHash } from "./binding";
import { closeRequestWithoutRunning } from "./close-request";
import { loadPolicy } from "./current-policy";
import { evaluateCall } from "./evaluate-call";
import { expireApprovalRequest } from "./expire-approvals";
import { loadSensitiveValues } from "./released-values";

export type ReviewDecision =
  | { verdict: "approve"; editedArgs?: unknown; reason?: string }
  | { verdict: "reject"; reason: string };

export interface DecisionResult {
  requestId: string;
  status: ApprovalRequestRow["status"];
  approvals: number;
  requiredApprovals: number;
}

const REVIEWER_ROLES: ReadonlySet<Role> = new Set(["REVIEWER", "ADMIN"]);

/** The tool, its definition and the policy must be what the request was made under. */
async function voidIfStale(
  tx: Transaction,
  request: ApprovalRequestRow,
  tools: ToolRegistry,
  policyVersion: number,
  reviewerId: string,
): Promise<string | null> {
  const tool = tools.get(request.toolName);
  const why = !tool
    ? `the tool ${request.toolName} no longer exists`
    : tool.version !== request.toolVersion
      ? `the definition of ${request.toolName} changed`
      : policyVersion !== request.policyVersion
        ? "the policy changed"
        : null;
  if (!why) return null;
  await transitionApprovalRequest(tx, request.id, ["PENDING"], {
    status: "VOIDED",
    decisionReason: `Voided: ${why}.`,
    decided: true,
  });
  // The engine evaluates the call again under what is in force now and asks again if needed.
  await setToolCallStatus(tx, { toolCallId: request.toolCallId, from: ["AWAITING_APPROVAL"], to: "PENDING" });
  await requeueRun(request.runId, tx);
  await recordAuditEvent(tx, {
    actorId: reviewerId,
    action: "approval.voided",
    targetType: "approval",
    targetId: request.id,
    data: { why },
  });
  await notifyApprovalsChanged(tx, request.id);
  return why;
}

async function decideInTransaction(
  tx: Transaction,
  options: { requestId: string; reviewerId: string; decision: ReviewDecision; tools: ToolRegistry },
): Promise<DecisionResult | { voided: string } | { expired: true }> {
  const reviewer = await findReviewer(options.reviewerId, tx);
  if (!reviewer?.active || !REVIEWER_ROLES.has(reviewer.role)) {
    throw new AirlockError("approval:not-reviewer", "Only active reviewers and admins can decide approval requests.");
  }
  const peek = await findApprovalRequest(options.requestId, tx);
  if (!peek) throw new AirlockError("approval:not-found", "This approval request does not exist.");
  // Run first, then request: the same order as the engine, so the two never deadlock.
  await lockRun(peek.runId, tx);
  const request = await lockApprovalRequest(tx, options.requestId);
  if (!request) throw new AirlockError("approval:not-found", "This approval request does not exist.");
  if (request.requesterId === reviewer.id) {
    throw new AirlockError(
      "approval:own-request",
      "You cannot decide a request that your own run made. Another reviewer must.",
    );
  }
  if (request.status === "VOIDED") {
    throw new AirlockError(
      "approval:voided",
      `This request no longer applies: ${request.decisionReason?.replace(/^Voided: /, "") ?? "it was voided."} Nothing was run.`,
    );
  }
  if (request.status !== "PENDING") {
    throw new AirlockError(
      "approval:already-decided",
      `This request was already decided: it is ${request.status.toLowerCase()}.`,
    );
  }
  if (request.expiresAt.getTime() <= Date.now()) return { expired: true };
  // Deactivation voids the requester's open requests; one made in a race with it (the run
  // was queued just before the deactivation committed) is refused here all the same.
  const requester = await findReviewer(request.requesterId, tx);
  if (!requester?.active) {
    throw new AirlockError(
      "approval:voided",
      "This request no longer applies: the requester was deactivated. Nothing was run.",
    );
  }

  const base = { requestId: request.id, reviewerId: reviewer.id };
  if (options.decision.verdict === "reject") {
    const reason = options.decision.reason.trim();
    if (
      (await insertApprovalDecision(tx, { ...base, verdict: "REJECT", reason, bindingHash: request.bindingHash })) ===
      "duplicate"
    ) {
      throw new AirlockError("approval:already-voted", "You already decided on this request.");
    }
    await closeRequestWithoutRunning(tx, request, {
      status: "REJECTED",
      reason,
      callError: `Rejected by ${reviewer.name}: ${reason}`,
      audit: { actorId: reviewer.id, action: "approval.rejected", data: { reason, toolName: request.toolName } },
    });
    return { requestId: request.id, status: "REJECTED", approvals: 0, requiredApprovals: request.requiredApprovals };
  }

  const policy = await loadPolicy(tx);
  const { editedArgs } = options.decision;
  let binding = request.bindingHash;
  let requiredApprovals = request.requiredApprovals;
  // The edit as validated: canonical, the same arguments the new binding covers.
  let canonicalEdit: unknown;
  if (editedArgs !== undefined) {
    refuseHiddenPlaceholders(editedArgs, request.editedArgs ?? request.args);
    const tool = options.tools.get(request.toolName);
    const evaluation = await evaluateCall({
      toolName: request.toolName,
      tool,
      args: editedArgs,
      actor: { id: request.requesterId, role: requester.role },
      policy,
      availableTools: () => options.tools.list().map((candidate) => candidate.name),
    });
    if (!evaluation.ok) throw new AirlockError("approval:invalid-edit", evaluation.reason);
    if (evaluation.decision.decision === "DENY") {
      throw new AirlockError(
        "approval:edit-denied",
        `The edited call is denied by policy: ${evaluation.decision.reasons.join("; ")}`,
      );
    }
    canonicalEdit = evaluation.input;
    binding = bindingHash({
      toolName: request.toolName,
      args: evaluation.input,
      toolVersion: tool?.version ?? "",
      policyVersion: policy.version,
    });
    requiredApprovals = Math.max(request.requiredApprovals, evaluation.decision.requiredApprovals || 1);
    await rebindApprovalRequest(tx, request.id, {
      editedArgs: evaluation.input,
      bindingHash: binding,
      policyVersion: policy.version,
      requiredApprovals,
    });
    await recordAuditEvent(tx, {
      actorId: reviewer.id,
      action: "approval.arguments-edited",
      targetType: "approval",
      targetId: request.id,
      // The model may have put a value released earlier in the conversation into the arguments.
      data: maskDeep(
        { original: request.args, edited: evaluation.input, previousEdit: request.editedArgs },
        await loadSensitiveValues(request.conversationId, options.tools),
      ),
    });
  } else {
    const voided = await voidIfStale(tx, request, options.tools, policy.version, reviewer.id);
    if (voided) return { voided };
  }

  if (
    (await insertApprovalDecision(tx, {
      ...base,
      verdict: "APPROVE",
      ...(options.decision.reason ? { reason: options.decision.reason } : {}),
      bindingHash: binding,
      editedArgs: canonicalEdit,
    })) === "duplicate"
  ) {
    throw new AirlockError(
      "approval:already-voted",
      "You already approved this request; another reviewer must add theirs.",
    );
  }
  const approvals = await countApprovalsForBinding(tx, request.id, binding);
  const complete = approvals >= requiredApprovals;
  if (complete) {
    await transitionApprovalRequest(tx, request.id, ["PENDING"], {
      status: "APPROVED",
      decided: true,
      ...(options.decision.reason ? { decisionReason: options.decision.reason } : {}),
    });
    await setToolCallStatus(tx, { toolCallId: request.toolCallId, from: ["AWAITING_APPROVAL"], to: "APPROVED" });
    await requeueRun(request.runId, tx);
  }
  await recordAuditEvent(tx, {
    actorId: reviewer.id,
    action: "approval.approved",
    targetType: "approval",
    targetId: request.id,
    data: { approvals, requiredApprovals, complete, toolName: request.toolName, edited: editedArgs !== undefined },
  });
  await notifyApprovalsChanged(tx, request.id);
  return { requestId: request.id, status: complete ? "APPROVED" : "PENDING", approvals, requiredApprovals };
}

export async function decideApproval(options: {
  requestId: string;
  reviewerId: string;
  decision: ReviewDecision;
  tools: ToolRegistry;
}): Promise<DecisionResult> {
  let outcome: Awaited<ReturnType<typeof decideInTransaction>>;
  try {
    outcome = await inTransaction((tx) => decideInTransaction(tx, options));
  } catch (error) {
    if (error instanceof AirlockError && error.code.startsWith("approval:")) {
      await inTransaction((tx) =>
        recordAuditEvent(tx, {
          actorId: options.reviewerId,
          action: "approval.decision-refused",
          targetType: "approval",
          targetId: options.requestId,
          data: { code: error.code, verdict: options.decision.verdict },
        }),
      ).catch(() => {});
    }
    throw error;
  }
  if ("expired" in outcome) {
    await expireApprovalRequest(options.requestId);
    await inTransaction((tx) =>
      recordAuditEvent(tx, {
        actorId: options.reviewerId,
        action: "approval.decision-refused",
        targetType: "approval",
        targetId: options.requestId,
        data: { code: "approval:expired" },
      }),
    );
    throw new AirlockError("approval:expired", "This request expired before it was decided; the agent was told.");
  }
  if ("voided" in outcome) {
    throw new AirlockError(
      "approval:voided",
      `This request no longer applies: ${outcome.voided}. The agent's call is evaluated again and, if still needed, asked anew.`,
    );
  }
  await traceApprovalDecision({
    requestId: options.requestId,
    reviewerId: options.reviewerId,
    verdict: options.decision.verdict,
    edited: options.decision.verdict === "approve" && options.decision.editedArgs !== undefined,
    status: outcome.status,
  }).catch(() => {});
  return outcome;
}

/**
 * Reviewers see sensitive values as HIDDEN; an edit submitted from that view would run with
 * the placeholder in place of the value. Refused, unless the arguments held the text itself.
 */
function refuseHiddenPlaceholders(editedArgs: unknown, originalArgs: unknown) {
  if (JSON.stringify(editedArgs)?.includes(HIDDEN) && !JSON.stringify(originalArgs)?.includes(HIDDEN)) {
    throw new AirlockError(
      "approval:invalid-edit",
      `The edited arguments contain ${HIDDEN}, which stands for a sensitive value you were not shown: write the value out, or approve without edits.`,
    );
  }
}
