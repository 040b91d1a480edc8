/**
 * The engine's fast path for a step: the model's proposed calls are decided before the
 * step is committed, and the step — its row, the assistant message, the calls (allowed
 * ones already RUNNING, refused ones REFUSED), the events and the audit events — is
 * written in one transaction, in one round trip. Allowed calls then run in parallel and
 * each outcome is recorded in one round trip; the last one also writes the tool-results
 * message. Calls that need a human stay PENDING for the slow path (tool-calls.ts), which
 * creates their approval requests; it also handles every resumed step.
 */
import { randomUUID } from "node:crypto";
import type { ToolResultPart } from "ai";
import type { PolicyInForce } from "../approvals/current-policy";
import { evaluateCall } from "../approvals/evaluate-call";
import { type AuditEventInput, auditStatement } from "../audit/record-audit-event";
import { appendRunEventsStatement } from "../db/run-events";
import { BatchError, runInOneRoundTrip } from "../db/sql-batch";
import {
  assertLeaseStatement,
  finishToolCallStatement,
  insertMessageStatement,
  insertStepStatement,
  insertToolCallsStatement,
  LEASE_LOST_MARKER,
  type NewToolCall,
} from "../db/step-statements";
import { LeaseLostError, type ToolCallState } from "../db/steps";
import type { RiskClass } from "../shared/risk";
import type { RunEventData } from "../shared/run-events";
import { hashArguments } from "../tools/canonical-arguments";
import type { AnyTool, ToolActor } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import type { Pending } from "./event-writer";
import type { ModelStepResult } from "./model-step";
import { runTool, type SettleOptions, type ToolOutcome, toToolResult } from "./tool-calls";

export interface PlannedCall extends NewToolCall {
  tool?: AnyTool;
  parsedInput?: unknown;
  reasons: string[];
}

async function run(runId: string, statements: (string | null)[]): Promise<void> {
  try {
    await runInOneRoundTrip(statements.filter((statement): statement is string => statement !== null));
  } catch (error) {
    if (error instanceof BatchError && error.message.includes(LEASE_LOST_MARKER)) throw new LeaseLostError(runId);
    throw error;
  }
}

/** Decides each proposed call now, so the step's commit can record the decisions with it. */
export async function planCalls(options: {
  runId: string;
  stepIndex: number;
  proposed: ModelStepResult["toolCalls"];
  actor: ToolActor;
  policy: PolicyInForce;
  deps: EngineDependencies;
}): Promise<PlannedCall[]> {
  return Promise.all(
    options.proposed.map(async (call, position): Promise<PlannedCall> => {
      const base = {
        id: randomUUID(),
        modelCallId: call.modelCallId,
        position,
        toolName: call.toolName,
        args: call.input ?? {},
        argsHash: hashArguments({ tool: call.toolName, args: call.input ?? {} }),
        idempotencyKey: `${options.runId}:${options.stepIndex}:${position}`,
      };
      if (call.invalidReason) {
        return {
          ...base,
          status: "REFUSED",
          riskClass: null,
          error: `Invalid call: ${call.invalidReason}`,
          reasons: [],
        };
      }
      const tool = options.deps.tools.get(call.toolName);
      const evaluation = await evaluateCall({
        toolName: call.toolName,
        tool,
        args: call.input,
        actor: options.actor,
        policy: options.policy,
        availableTools: () => options.deps.tools.list().map((candidate) => candidate.name),
      });
      if (!evaluation.ok) return { ...base, status: "REFUSED", riskClass: null, error: evaluation.reason, reasons: [] };
      const { decision, riskClass } = evaluation;
      const decided = { ...base, riskClass, tool, parsedInput: evaluation.input, reasons: decision.reasons };
      if (decision.decision === "DENY") {
        return { ...decided, status: "REFUSED", error: `Denied by policy: ${decision.reasons.join("; ")}` };
      }
      return { ...decided, status: decision.decision === "ALLOW" ? "RUNNING" : "PENDING", error: null };
    }),
  );
}

function asState(call: PlannedCall, stepId: string, outcome?: ToolOutcome): ToolCallState {
  return {
    id: call.id,
    stepId,
    modelCallId: call.modelCallId,
    position: call.position,
    toolName: call.toolName,
    args: call.args as ToolCallState["args"],
    argsHash: call.argsHash,
    riskClass: call.riskClass,
    status: outcome?.to ?? call.status,
    idempotencyKey: call.idempotencyKey,
    result: (outcome?.result ?? null) as ToolCallState["result"],
    error: outcome?.error ?? call.error,
    attempts: call.status === "RUNNING" ? 1 : 0,
  };
}

function auditFor(call: PlannedCall, actorId: string, runId: string): AuditEventInput | null {
  if (call.status === "REFUSED") {
    return {
      actorId,
      action: "tool-call.refused",
      targetType: "tool-call",
      targetId: call.id,
      data: { runId, toolName: call.toolName, reason: call.error },
    };
  }
  if (call.status === "RUNNING") {
    return {
      actorId,
      action: "tool-call.started",
      targetType: "tool-call",
      targetId: call.id,
      data: { runId, toolName: call.toolName, riskClass: call.riskClass, approved: false, reasons: call.reasons },
    };
  }
  return null;
}

export interface CommittedStep {
  stepId: string;
  /** When every call was refused, the results went into the commit too. */
  results: ToolResultPart[] | null;
}

export async function commitStepFast(options: {
  runId: string;
  workerId: string;
  conversationId: string;
  actorId: string;
  stepIndex: number;
  modelId: string;
  result: ModelStepResult;
  assistantParts: unknown[];
  planned: PlannedCall[];
  /** What the event writer still held: written first, in this same transaction. */
  deferred: Pending;
}): Promise<CommittedStep> {
  const { runId, stepIndex, planned } = options;
  const stepId = randomUUID();
  const events: RunEventData[] = [
    ...options.deferred.events,
    {
      type: "step-finished",
      stepIndex,
      finishReason: options.result.finishReason,
      inputTokens: options.result.inputTokens,
      outputTokens: options.result.outputTokens,
      latencyMs: options.result.latencyMs,
    },
    ...planned.map(
      (call): RunEventData => ({
        type: "tool-call-proposed",
        stepIndex,
        toolCallId: call.id,
        toolName: call.toolName,
        args: call.args,
        ...(call.riskClass ? { riskClass: call.riskClass } : {}),
      }),
    ),
    ...planned
      .filter((call) => call.status !== "PENDING")
      .map(
        (call): RunEventData => ({
          type: "tool-call-updated",
          stepIndex,
          toolCallId: call.id,
          status: call.status,
          ...(call.error ? { error: call.error } : {}),
        }),
      ),
  ];
  const allRefused = planned.length > 0 && planned.every((call) => call.status === "REFUSED");
  const results = allRefused ? planned.map((call) => toToolResult(asState(call, stepId))) : null;
  await run(runId, [
    ...options.deferred.statements,
    assertLeaseStatement(runId, options.workerId, stepIndex + 1),
    insertStepStatement({
      id: stepId,
      runId,
      index: stepIndex,
      modelId: options.modelId,
      finishReason: options.result.finishReason,
      inputTokens: options.result.inputTokens,
      outputTokens: options.result.outputTokens,
      latencyMs: options.result.latencyMs,
      ttftMs: options.result.ttftMs,
    }),
    options.assistantParts.length > 0
      ? insertMessageStatement({
          conversationId: options.conversationId,
          runId,
          stepIndex,
          role: "ASSISTANT",
          parts: options.assistantParts,
        })
      : null,
    insertToolCallsStatement(runId, stepId, planned),
    appendRunEventsStatement(runId, events),
    ...planned
      .map((call) => auditFor(call, options.actorId, runId))
      .map((audit) => (audit ? auditStatement(audit) : null)),
    results
      ? insertMessageStatement({
          conversationId: options.conversationId,
          runId,
          stepIndex,
          role: "TOOL",
          parts: results,
        })
      : null,
  ]);
  return { stepId, results };
}

export interface StartedCallsOutcome {
  /** The step's tool results, or null when some call of the step still needs a human. */
  results: ToolResultPart[] | null;
  /** Resolves when every outcome written here is committed. */
  durable: Promise<void>;
  /**
   * Outcomes not yet written, for the engine to hand to its event writer: calls that are
   * safe to repeat (reads, idempotent tools) may become durable a moment later, together
   * with the next step, since a crash in between only means running them again.
   */
  unwritten: Pending | null;
}

/**
 * Runs the calls the commit started, in parallel (bounded). Outcomes are recorded as they
 * come, with group commit: whatever finished while a write was in flight goes into the
 * next write together. The last write also closes the step with the tool-results message
 * unless some call of the step still needs a human.
 */
export async function runStartedCalls(
  options: SettleOptions & { planned: PlannedCall[] },
): Promise<StartedCallsOutcome> {
  const { runId, stepIndex, planned } = options;
  const started = planned.filter((call) => call.status === "RUNNING");
  const stepStaysOpen = planned.some((call) => call.status === "PENDING");
  const repeatable = started.every((call) => call.riskClass === "READ" || call.tool?.idempotent === true);
  const outcomes = new Map<string, ToolOutcome>();
  const queue: { call: PlannedCall; outcome: ToolOutcome }[] = [];
  let results: ToolResultPart[] | null = null;
  let writing: Promise<void> | null = null;
  let failure: unknown;

  const statementsFor = (call: PlannedCall, outcome: ToolOutcome) => [
    finishToolCallStatement({
      id: call.id,
      status: outcome.to,
      result: outcome.result,
      error: outcome.error,
      attempts: 1,
    }),
    auditStatement({
      actorId: options.actor.id,
      action: outcome.action,
      targetType: "tool-call",
      targetId: call.id,
      data: { runId, toolName: call.toolName, ...(outcome.error ? { error: outcome.error } : {}) },
    }),
  ];

  const eventFor = (call: PlannedCall, outcome: ToolOutcome): RunEventData =>
    outcome.event ?? {
      type: "tool-call-updated",
      stepIndex,
      toolCallId: call.id,
      status: outcome.to,
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    };

  const drain = async () => {
    while (queue.length > 0 && !failure) {
      const batch = queue.splice(0);
      const last = outcomes.size === started.length && queue.length === 0;
      const statements: (string | null)[] = [
        ...batch.flatMap(({ call, outcome }) => statementsFor(call, outcome)),
        appendRunEventsStatement(
          runId,
          batch.map(({ call, outcome }) => eventFor(call, outcome)),
        ),
      ];
      if (last && !stepStaysOpen) {
        results = planned.map((each) => toToolResult(asState(each, options.stepId, outcomes.get(each.id))));
        statements.unshift(assertLeaseStatement(runId, options.workerId, null));
        statements.push(
          insertMessageStatement({
            conversationId: options.conversationId,
            runId,
            stepIndex,
            role: "TOOL",
            parts: results,
          }),
        );
      }
      try {
        await run(runId, statements);
      } catch (error) {
        failure = error;
      }
    }
  };

  const record = (call: PlannedCall, outcome: ToolOutcome) => {
    outcomes.set(call.id, outcome);
    queue.push({ call, outcome });
    // A write that may have taken effect is recorded at once; repeatable calls wait for the end.
    if (repeatable) return;
    writing ??= drain().finally(() => {
      writing = null;
    });
  };

  let next = 0;
  const lanes = Array.from({ length: Math.min(options.deps.config.toolConcurrency, started.length) }, async () => {
    while (next < started.length) {
      const call = started[next++] as PlannedCall;
      const outcome = await runTool(
        {
          call: asState(call, options.stepId),
          tool: call.tool as AnyTool,
          input: call.parsedInput,
          riskClass: call.riskClass as RiskClass,
          edited: false,
        },
        options,
      );
      record(call, outcome);
    }
  });
  await Promise.all(lanes);
  // Every outcome is known: the results are final even while the last write is in flight.
  const finalResults = stepStaysOpen
    ? null
    : planned.map((each) => toToolResult(asState(each, options.stepId, outcomes.get(each.id))));
  if (repeatable) {
    const batch = queue.splice(0);
    const unwritten: Pending = {
      statements: batch.flatMap(({ call, outcome }) => statementsFor(call, outcome)),
      events: batch.map(({ call, outcome }) => eventFor(call, outcome)),
    };
    if (finalResults) {
      unwritten.statements.unshift(assertLeaseStatement(runId, options.workerId, null));
      unwritten.statements.push(
        insertMessageStatement({
          conversationId: options.conversationId,
          runId,
          stepIndex,
          role: "TOOL",
          parts: finalResults,
        }),
      );
    }
    return { results: finalResults, durable: Promise.resolve(), unwritten };
  }
  const durable = (async () => {
    while (writing) await writing;
    if (failure) throw failure;
    if (!stepStaysOpen && results === null) throw new Error("the step's results were not written");
  })();
  durable.catch(() => {}); // awaited by the engine before its next write
  return { results: finalResults, durable, unwritten: null };
}
