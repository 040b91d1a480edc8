/**
 * The engine's slow path: settles the tool calls of a step that did not settle as it
 * was committed — calls that need a human, calls approved (or rejected) while the run
 * waited, calls found RUNNING after a crash. Each call is evaluated again under the
 * policy in force, the lifecycle (tool-call-lifecycle.ts) names its next transition, and
 * each transition is its own conditional transaction under the run's lease, with its
 * audit event: calls that need a human get an approval request and park (unless the same
 * call was rejected earlier in the conversation: refused with that reason), denied ones are
 * refused, runnable ones run in parallel (the lifecycle's bound). An approved call runs
 * only if its approval still binds to exactly what will run; consuming the approval and
 * starting the call are one transaction, so it runs at most once even if two workers race.
 */
import type { ToolResultPart } from "ai";
import { bindingHash } from "../approvals/binding";
import { consumeApproval, voidUnusedApproval } from "../approvals/consume-approval";
import { loadPolicy, type PolicyInForce } from "../approvals/current-policy";
import { findEarlierRejection, REJECTED_EARLIER_RULE } from "../approvals/earlier-rejection";
import { evaluateCall } from "../approvals/evaluate-call";
import { type RejectedCallResult, repeatedRejectionNotice } from "../approvals/rejection-notice";
import { announceApprovalRequest, createApprovalRequest } from "../approvals/request-approval";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type ApprovalRequestRow, findApprovalRequestByToolCall } from "../db/approvals";
import { readToolCalls, type ToolCallState, updateToolCall, withLease } from "../db/steps";
import type { Transaction } from "../db/transaction";
import type { PolicyDecision } from "../policy/types";
import type { RiskClass } from "../shared/risk";
import type { RunEventData } from "../shared/run-events";
import type { AnyTool, ToolPreview } from "../tools/define-tool";
import { type Execution, type RunToolOptions, runTool, toolContext } from "./run-tool";
import {
  awaitsEngine,
  deniedByPolicy,
  type EngineTransition,
  endingTransition,
  engineMove,
  isTerminal,
  runBounded,
  toToolResult,
  transition,
  transitionAudit,
  transitionEvent,
} from "./tool-call-lifecycle";

export interface SettleOptions extends RunToolOptions {
  workerId: string;
  conversationId: string;
  stepId: string;
}

interface SettleResult {
  suspended: boolean;
  results: ToolResultPart[];
}

/** The engine's next transition for one call, with what it needs to make it. */
type Move =
  | { transition: "start" | "start-approved" | "retry"; call: ToolCallState; execution: Execution; reasons: string[] }
  | { transition: "refuse"; call: ToolCallState; reason: string; riskClass?: RiskClass }
  | {
      transition: "ask-approval";
      call: ToolCallState;
      tool: AnyTool;
      input: unknown;
      riskClass: RiskClass;
      decision: PolicyDecision;
    }
  | { transition: "outcome-unknown"; call: ToolCallState };

type RunMove = Extract<Move, { execution: Execution }>;

/**
 * Only the approval this call is running (or about to run) under counts: a voided
 * earlier request's edited arguments are not the ones to run.
 */
async function approvalInForce(call: ToolCallState): Promise<ApprovalRequestRow | null> {
  if (call.status !== "APPROVED" && call.status !== "RUNNING") return null;
  const latest = await findApprovalRequestByToolCall(call.id);
  return latest?.status === (call.status === "APPROVED" ? "APPROVED" : "CONSUMED") ? latest : null;
}

/** The call is evaluated again under the policy in force; the lifecycle says what follows. */
async function nextMove(call: ToolCallState, options: SettleOptions, policy: PolicyInForce): Promise<Move | null> {
  if (!awaitsEngine(call.status)) return null;
  const tool = options.deps.tools.get(call.toolName);
  const approval = await approvalInForce(call);
  // An approved edit runs with the reviewer's arguments, and is evaluated as such.
  const evaluation = await evaluateCall({
    toolName: call.toolName,
    tool,
    args: approval?.editedArgs ?? call.args,
    actor: options.actor,
    policy,
    availableTools: () => options.deps.tools.list().map((candidate) => candidate.name),
  });
  if (!evaluation.ok) return { transition: "refuse", call, reason: evaluation.reason };
  const { decision, riskClass, input } = evaluation;
  const known = tool as AnyTool; // evaluateCall refuses a call to a tool the registry does not have
  // A call found RUNNING lost its worker before its outcome was recorded: only a call
  // that is safe to repeat runs again, and an approved one only as its approval bound it.
  const repeatable =
    (riskClass === "READ" || known.idempotent === true) &&
    (approval === null ||
      bindingHash({
        toolName: known.name,
        args: input,
        toolVersion: known.version,
        policyVersion: approval.policyVersion,
      }) === approval.bindingHash);
  const move = engineMove(call.status, decision.decision, repeatable);
  switch (move) {
    case null:
      return null;
    case "refuse":
      return { transition: move, call, reason: deniedByPolicy(decision.reasons), riskClass };
    case "ask-approval":
      return { transition: move, call, tool: known, input, riskClass, decision };
    case "outcome-unknown":
      return { transition: move, call };
    default:
      return {
        transition: move,
        call,
        reasons: decision.reasons,
        execution: {
          call,
          tool: known,
          input,
          riskClass,
          approved: call.status === "APPROVED" || approval !== null,
          network: decision.network,
          edited: approval?.editedArgs != null,
        },
      };
  }
}

/**
 * Makes one engine transition of a call in the caller's transaction: the conditional
 * update from the lifecycle's `from` states, its run event, and its audit event. The row
 * keeps what the requester and the model see; the event and audit data, which others may
 * come to see, hide the values released in this conversation.
 */
async function applyTransition(
  tx: Transaction,
  options: SettleOptions,
  change: {
    name: EngineTransition;
    toolCallId: string;
    expectedAttempts?: number;
    riskClass?: RiskClass;
    result?: unknown;
    error?: string;
    /** Replaces the default event (a sensitive result is reported hidden). */
    event?: RunEventData;
  },
  data: Record<string, unknown>,
): Promise<boolean> {
  const { from, to } = transition(change.name);
  const { name, event, ...columns } = change;
  const moved = await updateToolCall(tx, {
    ...columns,
    runId: options.runId,
    stepIndex: options.stepIndex,
    from,
    to,
    finishes: isTerminal(to),
    event: transitionEvent(
      { stepIndex: options.stepIndex, toolCallId: change.toolCallId },
      { ...change, to },
      options.released,
    ),
  });
  if (moved) {
    await recordAuditEvent(
      tx,
      transitionAudit({
        name,
        actorId: options.actor.id,
        runId: options.runId,
        toolCallId: change.toolCallId,
        data,
        released: options.released,
      }),
    );
  }
  return moved;
}

/** Starts a call: consumes its approval when it has one, or finds the approval void. */
async function start(
  move: RunMove,
  options: SettleOptions,
  policy: PolicyInForce,
): Promise<"started" | "voided" | "lost"> {
  const { call, execution } = move;
  const { tool } = execution;
  return withLease(options.runId, options.workerId, async (tx) => {
    if (move.transition === "start-approved") {
      const consumption = await consumeApproval(tx, {
        toolCallId: call.id,
        toolName: tool.name,
        toolVersion: tool.version,
        args: execution.input,
        policyVersion: policy.version,
        workerId: options.workerId,
      });
      if (!consumption.ok) {
        // Back to PENDING: evaluated again under what is in force, and asked anew if needed.
        await applyTransition(
          tx,
          options,
          { name: "void-approval", toolCallId: call.id },
          { reason: consumption.reason },
        );
        return "voided";
      }
    }
    const moved = await applyTransition(
      tx,
      options,
      {
        name: move.transition,
        toolCallId: call.id,
        riskClass: execution.riskClass,
        ...(move.transition === "retry" ? { expectedAttempts: call.attempts } : {}),
      },
      { toolName: tool.name, riskClass: execution.riskClass, approved: execution.approved, reasons: move.reasons },
    );
    return moved ? "started" : "lost";
  });
}

async function execute(move: RunMove, options: SettleOptions, policy: PolicyInForce): Promise<"done" | "voided"> {
  const started = await start(move, options, policy);
  if (started === "voided") return "voided";
  if (started === "lost") return "done"; // someone else moved it on; its outcome is read back afterwards
  const outcome = await runTool(move.execution, options);
  await withLease(options.runId, options.workerId, (tx) =>
    applyTransition(
      tx,
      options,
      { ...outcome, name: endingTransition(outcome.to), toolCallId: move.call.id },
      { toolName: move.execution.tool.name, ...(outcome.error ? { error: outcome.error } : {}) },
    ),
  );
  return "done";
}

async function askApproval(
  move: Extract<Move, { transition: "ask-approval" }>,
  options: SettleOptions,
  policy: PolicyInForce,
): Promise<void> {
  const { call, tool } = move;
  let preview: ToolPreview | null = null;
  if (tool.preview) {
    try {
      preview = await tool.preview(
        move.input,
        // What the reviewer is shown is what the call would get: the decision's network grant.
        toolContext(options, call, tool, options.signal, {
          riskClass: move.riskClass,
          approved: false,
          network: move.decision.network,
        }),
      );
    } catch (error) {
      preview = { summary: `No preview: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const request = await withLease(options.runId, options.workerId, async (tx) => {
    // Asked in the transaction that would create the request: the same call rejected
    // earlier in this conversation is refused with that reason, and nobody is asked again.
    const earlier = await findEarlierRejection(
      {
        conversationId: options.conversationId,
        binding: {
          toolName: tool.name,
          args: move.input,
          toolVersion: tool.version,
          policyVersion: move.decision.policyVersion,
        },
      },
      tx,
    );
    if (earlier) {
      const result: RejectedCallResult = { notExecuted: "rejected-earlier", requestId: earlier.requestId };
      const reason = repeatedRejectionNotice(earlier.reason);
      await applyTransition(
        tx,
        options,
        { name: "refuse", toolCallId: call.id, riskClass: move.riskClass, error: reason, result },
        { toolName: tool.name, reason, rule: REJECTED_EARLIER_RULE, rejectedRequestId: earlier.requestId },
      );
      return null;
    }
    const moved = await applyTransition(
      tx,
      options,
      { name: "ask-approval", toolCallId: call.id, riskClass: move.riskClass },
      { toolName: tool.name, riskClass: move.riskClass, reasons: move.decision.reasons },
    );
    if (!moved) return null;
    return createApprovalRequest(tx, {
      toolCallId: call.id,
      runId: options.runId,
      conversationId: options.conversationId,
      requesterId: options.actor.id,
      toolName: tool.name,
      toolVersion: tool.version,
      args: move.input,
      riskClass: move.riskClass,
      decision: move.decision,
      preview,
      expiryMinutes: policy.defaultExpiryMinutes,
    });
  });
  if (request) void announceApprovalRequest(request, options.released).catch(() => {});
}

async function refuse(move: Extract<Move, { transition: "refuse" }>, options: SettleOptions): Promise<void> {
  const { call, reason } = move;
  await withLease(options.runId, options.workerId, async (tx) => {
    const moved = await applyTransition(
      tx,
      options,
      { name: "refuse", toolCallId: call.id, error: reason, ...(move.riskClass ? { riskClass: move.riskClass } : {}) },
      { toolName: call.toolName, reason },
    );
    if (moved && call.status === "APPROVED") {
      await voidUnusedApproval(tx, { toolCallId: call.id, why: `the call was refused: ${reason}` });
    }
  });
}

async function markOutcomeUnknown(call: ToolCallState, options: SettleOptions): Promise<void> {
  await withLease(options.runId, options.workerId, (tx) =>
    applyTransition(
      tx,
      options,
      {
        name: "outcome-unknown",
        toolCallId: call.id,
        expectedAttempts: call.attempts,
        error: "The worker stopped while this call was running.",
      },
      { toolName: call.toolName },
    ),
  );
}

export async function settleToolCalls(calls: ToolCallState[], options: SettleOptions): Promise<SettleResult> {
  const policy = await loadPolicy();
  let current = calls;
  // A voided approval sends its call back to PENDING; one more pass evaluates it afresh.
  for (let pass = 0; pass < 2; pass++) {
    const moves = (await Promise.all(current.map((call) => nextMove(call, options, policy)))).filter(
      (move): move is Move => move !== null,
    );
    for (const move of moves) {
      if (move.transition === "refuse") await refuse(move, options);
      else if (move.transition === "ask-approval") await askApproval(move, options, policy);
      else if (move.transition === "outcome-unknown") await markOutcomeUnknown(move.call, options);
    }
    const runnable = moves.filter((move): move is RunMove => "execution" in move);
    let voided = false;
    await runBounded(runnable, options.deps.config.toolConcurrency, async (move) => {
      if ((await execute(move, options, policy)) === "voided") voided = true;
    });
    current = await readToolCalls(options.stepId);
    if (!voided) break;
  }
  const suspended = current.some((call) => !isTerminal(call.status));
  return { suspended, results: suspended ? [] : current.map(toToolResult) };
}
