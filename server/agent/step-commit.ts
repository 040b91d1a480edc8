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
import { type AuditEventInput, auditRecord } from "../audit/record-audit-event";
import { applyRunWrite, emptyRunWrite, mergeRunWrites, type NewToolCall, type RunWrite } from "../db/run-write";
import type { ToolCallState } from "../db/steps";
import type { RiskClass } from "../shared/risk";
import type { RunEventData } from "../shared/run-events";
import { maskDeep } from "../shared/sensitive-values";
import { hashArguments } from "../tools/canonical-arguments";
import type { AnyTool, ToolActor } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import type { ModelStepResult } from "./model-step";
import { traceToolCall } from "./run-tracing";
import { outcomeEvent, runTool, type SettleOptions, type ToolOutcome, toToolResult } from "./tool-calls";

export interface PlannedCall extends NewToolCall {
  tool?: AnyTool;
  parsedInput?: unknown;
  reasons: string[];
  /** Policy's decision grants network access (a confirmed rule); the call runs right after it. */
  network?: boolean;
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
      // The call is stored in its canonical form: what policy decided on, what an approval
      // binds to and what runs are one and the same arguments.
      const decided = {
        ...base,
        args: evaluation.input,
        argsHash: hashArguments({ tool: call.toolName, args: evaluation.input }),
        riskClass,
        tool,
        parsedInput: evaluation.input,
        reasons: decision.reasons,
        network: decision.network,
      };
      if (decision.decision === "DENY") {
        return { ...decided, status: "REFUSED", error: `Denied by policy: ${decision.reasons.join("; ")}` };
      }
      return { ...decided, status: decision.decision === "ALLOW" ? "RUNNING" : "PENDING", error: null };
    }),
  );
}

/** Only the call's columns: a planned call also carries the tool and its parsed input. */
function newToolCall(call: PlannedCall): NewToolCall {
  return {
    id: call.id,
    modelCallId: call.modelCallId,
    position: call.position,
    toolName: call.toolName,
    args: call.args,
    argsHash: call.argsHash,
    status: call.status,
    riskClass: call.riskClass,
    error: call.error,
    idempotencyKey: call.idempotencyKey,
  };
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
  deferred: RunWrite;
  /** Values released by sensitive reads: hidden from the events and audit data (a model may repeat one in arguments). */
  released: ReadonlySet<string>;
}): Promise<CommittedStep> {
  const { runId, stepIndex, planned } = options;
  const stepId = randomUUID();
  const events: RunEventData[] = maskDeep(
    [
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
    ],
    options.released,
  );
  const allRefused = planned.length > 0 && planned.every((call) => call.status === "REFUSED");
  const results = allRefused ? planned.map((call) => toToolResult(asState(call, stepId))) : null;
  const { result } = options;
  await applyRunWrite(
    { runId, workerId: options.workerId, conversationId: options.conversationId },
    mergeRunWrites(options.deferred, {
      stepCount: stepIndex + 1,
      step: {
        id: stepId,
        index: stepIndex,
        modelId: options.modelId,
        finishReason: result.finishReason,
        inputTokens: result.inputTokens,
        outputTokens: result.outputTokens,
        latencyMs: result.latencyMs,
        ttftMs: result.ttftMs,
      },
      messages: [
        ...(options.assistantParts.length > 0
          ? [{ stepIndex, role: "ASSISTANT" as const, parts: options.assistantParts }]
          : []),
        ...(results ? [{ stepIndex, role: "TOOL" as const, parts: results }] : []),
      ],
      calls: planned.map((call) => ({ ...newToolCall(call), stepId })),
      events,
      audits: planned.flatMap((call) => {
        const audit = auditFor(call, options.actorId, runId);
        return audit ? [auditRecord({ ...audit, data: maskDeep(audit.data, options.released) })] : [];
      }),
    }),
  );
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
  unwritten: RunWrite | null;
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

  // Events hide released values: a read's result may repeat one the model put in its arguments.
  const eventFor = (call: PlannedCall, outcome: ToolOutcome): RunEventData =>
    outcomeEvent({ stepIndex, toolCallId: call.id }, outcome, options.released);

  /** The outcomes' write; with the step's results, it also stores the tool-results message. */
  const writeFor = (batch: typeof queue, stepResults: ToolResultPart[] | null): RunWrite =>
    mergeRunWrites(emptyRunWrite(), {
      finished: batch.map(({ call, outcome }) => ({
        id: call.id,
        status: outcome.to,
        result: outcome.result,
        error: outcome.error,
        attempts: 1,
      })),
      messages: stepResults ? [{ stepIndex, role: "TOOL", parts: stepResults }] : [],
      events: batch.map(({ call, outcome }) => eventFor(call, outcome)),
      audits: batch.map(({ call, outcome }) =>
        auditRecord({
          actorId: options.actor.id,
          action: outcome.action,
          targetType: "tool-call",
          targetId: call.id,
          data: maskDeep(
            { runId, toolName: call.toolName, ...(outcome.error ? { error: outcome.error } : {}) },
            options.released,
          ),
        }),
      ),
    });

  const runIdentity = { runId, workerId: options.workerId, conversationId: options.conversationId };
  const drain = async () => {
    while (queue.length > 0 && !failure) {
      const batch = queue.splice(0);
      const last = outcomes.size === started.length && queue.length === 0;
      if (last && !stepStaysOpen) {
        results = planned.map((each) => toToolResult(asState(each, options.stepId, outcomes.get(each.id))));
      }
      try {
        await applyRunWrite(runIdentity, writeFor(batch, last && !stepStaysOpen ? results : null));
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
      const outcome = await traceToolCall({ ...call, toolCallId: call.id }, () =>
        runTool(
          {
            call: asState(call, options.stepId),
            tool: call.tool as AnyTool,
            input: call.parsedInput,
            riskClass: call.riskClass as RiskClass,
            network: call.network === true,
            edited: false,
          },
          options,
        ),
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
    return { results: finalResults, durable: Promise.resolve(), unwritten: writeFor(queue.splice(0), finalResults) };
  }
  const durable = (async () => {
    while (writing) await writing;
    if (failure) throw failure;
    if (!stepStaysOpen && results === null) throw new Error("the step's results were not written");
  })();
  durable.catch(() => {}); // awaited by the engine before its next write
  return { results: finalResults, durable, unwritten: null };
}
