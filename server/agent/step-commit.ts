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
import type { ModelStepResult } from "./model-step";
import { runTool, type ToolOutcome, toToolResult } from "./tool-calls";

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
  deferredEvents: RunEventData[];
}): Promise<CommittedStep> {
  const { runId, stepIndex, planned } = options;
  const stepId = randomUUID();
  const events: RunEventData[] = [
    ...options.deferredEvents,
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

/**
 * Runs the calls the commit started, in parallel (bounded), recording each outcome as it
 * comes; the last record also writes the tool-results message unless some call of the
 * step still needs a human. Returns those results, or null when the step stays open.
 */
export async function runStartedCalls(options: {
  runId: string;
  workerId: string;
  conversationId: string;
  stepId: string;
  stepIndex: number;
  actor: ToolActor;
  signal: AbortSignal;
  deps: EngineDependencies;
  released: Set<string>;
  planned: PlannedCall[];
}): Promise<ToolResultPart[] | null> {
  const { runId, stepIndex, planned } = options;
  const started = planned.filter((call) => call.status === "RUNNING");
  const stepStaysOpen = planned.some((call) => call.status === "PENDING");
  const outcomes = new Map<string, ToolOutcome>();
  let remaining = started.length;
  let results: ToolResultPart[] | null = null;
  // Records are written one after another: they all touch the run's row, and the last
  // one must really be last, since it closes the step.
  let records: Promise<void> = Promise.resolve();

  const record = (call: PlannedCall, outcome: ToolOutcome) => {
    outcomes.set(call.id, outcome);
    remaining--;
    const last = remaining === 0;
    records = records.then(async () => {
      const statements: (string | null)[] = [
        finishToolCallStatement({
          id: call.id,
          status: outcome.to,
          result: outcome.result,
          error: outcome.error,
          attempts: 1,
        }),
        appendRunEventsStatement(runId, [
          outcome.event ?? {
            type: "tool-call-updated",
            stepIndex,
            toolCallId: call.id,
            status: outcome.to,
            ...(outcome.result !== undefined ? { result: outcome.result } : {}),
            ...(outcome.error !== undefined ? { error: outcome.error } : {}),
          },
        ]),
        auditStatement({
          actorId: options.actor.id,
          action: outcome.action,
          targetType: "tool-call",
          targetId: call.id,
          data: { runId, toolName: call.toolName, ...(outcome.error ? { error: outcome.error } : {}) },
        }),
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
      await run(runId, statements);
    });
    // Awaited below; this only keeps a failure from counting as unhandled meanwhile.
    records.catch(() => {});
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
  await records;
  return results;
}
