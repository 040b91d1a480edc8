/**
 * The engine's fast path for a model step: the model's proposed calls are decided before
 * the step is committed (the lifecycle, tool-call-lifecycle.ts, names each call's first
 * transition), and the step — its row, the assistant message, the calls (allowed ones
 * already RUNNING, refused ones REFUSED), the events and the audit events — is written in
 * one transaction, in one round trip. Allowed calls then run in parallel (the lifecycle's
 * bound) and their outcomes are recorded with group commit; the last write also stores
 * the tool-results message. Calls that need a human stay PENDING for the slow path
 * (tool-calls.ts), which asks for their approval; it also settles every resumed step.
 */
import { randomUUID } from "node:crypto";
import type { ToolResultPart } from "ai";
import type { PolicyInForce } from "../approvals/current-policy";
import { evaluateCall } from "../approvals/evaluate-call";
import { auditRecord } from "../audit/record-audit-event";
import { applyRunWrite, emptyRunWrite, mergeRunWrites, type NewToolCall, type RunWrite } from "../db/run-write";
import type { RunEventData } from "../shared/run-events";
import { maskDeep } from "../shared/sensitive-values";
import { hashArguments } from "../tools/canonical-arguments";
import type { AnyTool, ToolActor } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import type { ModelStepResult } from "./model-step";
import { type Execution, runTool } from "./run-tool";
import {
  deniedByPolicy,
  endingTransition,
  engineMove,
  runBounded,
  type ToolOutcome,
  toToolResult,
  transition,
  transitionAudit,
  transitionEvent,
} from "./tool-call-lifecycle";
import type { SettleOptions } from "./tool-calls";

/** A proposed call with policy's decision on it, as the step's commit stores it. */
export interface DecidedCall extends NewToolCall {
  reasons: string[];
  /** What a call started by the commit (status RUNNING) runs with; null for any other. */
  execution: Execution | null;
}

/** Decides each proposed call now, so the step's commit can record the decisions with it. */
export async function decideCalls(options: {
  runId: string;
  stepIndex: number;
  proposed: ModelStepResult["toolCalls"];
  actor: ToolActor;
  policy: PolicyInForce;
  deps: EngineDependencies;
}): Promise<DecidedCall[]> {
  return Promise.all(
    options.proposed.map(async (call, position): Promise<DecidedCall> => {
      const base = {
        id: randomUUID(),
        modelCallId: call.modelCallId,
        position,
        toolName: call.toolName,
        args: call.input ?? {},
        argsHash: hashArguments({ tool: call.toolName, args: call.input ?? {} }),
        idempotencyKey: `${options.runId}:${options.stepIndex}:${position}`,
      };
      const tool = options.deps.tools.get(call.toolName);
      const evaluation = call.invalidReason
        ? { ok: false as const, reason: `Invalid call: ${call.invalidReason}` }
        : await evaluateCall({
            toolName: call.toolName,
            tool,
            args: call.input,
            actor: options.actor,
            policy: options.policy,
            availableTools: () => options.deps.tools.list().map((candidate) => candidate.name),
          });
      if (!evaluation.ok) {
        const error = evaluation.reason;
        return { ...base, status: transition("refuse").to, riskClass: null, error, reasons: [], execution: null };
      }
      const { decision, riskClass, input } = evaluation;
      const known = tool as AnyTool; // evaluateCall refuses a call to a tool the registry does not have
      const move = engineMove("PENDING", decision.decision);
      // The call is stored in its canonical form: what policy decided on, what an approval
      // binds to and what runs are one and the same arguments.
      const decided = {
        ...base,
        args: input,
        argsHash: hashArguments({ tool: call.toolName, args: input }),
        riskClass,
        reasons: decision.reasons,
      };
      if (move === "start") {
        const execution = {
          call: base,
          tool: known,
          input,
          riskClass,
          network: decision.network,
          approved: false,
          edited: false,
        };
        return { ...decided, status: transition(move).to, error: null, execution };
      }
      if (move === "refuse") {
        return { ...decided, status: transition(move).to, error: deniedByPolicy(decision.reasons), execution: null };
      }
      // Asking needs the tool's preview and an approval request: the slow path does it.
      return { ...decided, status: "PENDING", error: null, execution: null };
    }),
  );
}

/** Only the call's columns: a decided call also carries what it runs with. */
function newToolCall(call: DecidedCall): NewToolCall {
  const { reasons, execution, ...columns } = call;
  return columns;
}

/** The engine transition a decided call was stored after, if any, with its audit data. */
function decisionAudit(call: DecidedCall) {
  if (call.status === "REFUSED")
    return { name: "refuse" as const, data: { toolName: call.toolName, reason: call.error } };
  if (call.status === "RUNNING") {
    return {
      name: "start" as const,
      data: { toolName: call.toolName, riskClass: call.riskClass, approved: false, reasons: call.reasons },
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
  decided: DecidedCall[];
  /** What the event writer still held: written first, in this same transaction. */
  deferred: RunWrite;
  /** Values released by sensitive reads: hidden from the events and audit data (a model may repeat one in arguments). */
  released: ReadonlySet<string>;
}): Promise<CommittedStep> {
  const { runId, stepIndex, decided } = options;
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
      ...decided.map(
        (call): RunEventData => ({
          type: "tool-call-proposed",
          stepIndex,
          toolCallId: call.id,
          toolName: call.toolName,
          args: call.args,
          ...(call.riskClass ? { riskClass: call.riskClass } : {}),
        }),
      ),
    ],
    options.released,
  );
  // A call stored after its first transition (started, refused) reports it at once.
  for (const call of decided) {
    if (call.status !== "PENDING")
      events.push(
        transitionEvent({ stepIndex, toolCallId: call.id }, { to: call.status, error: call.error }, options.released),
      );
  }
  const allRefused = decided.length > 0 && decided.every((call) => call.status === "REFUSED");
  const results = allRefused ? decided.map((call) => toToolResult({ ...call, result: null })) : null;
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
      calls: decided.map((call) => ({ ...newToolCall(call), stepId })),
      events,
      audits: decided.flatMap((call) => {
        const audit = decisionAudit(call);
        if (!audit) return [];
        const { actorId, released } = options;
        return [auditRecord(transitionAudit({ ...audit, actorId, runId, toolCallId: call.id, released }))];
      }),
    }),
  );
  return { stepId, results };
}

interface StartedCallsOutcome {
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
 * Runs the calls the commit started, in parallel (the lifecycle's bound). Outcomes are
 * recorded as they come, with group commit: whatever finished while a write was in flight
 * goes into the next write together. The last write also closes the step with the
 * tool-results message unless some call of the step still needs a human.
 */
export async function runStartedCalls(
  options: SettleOptions & { decided: DecidedCall[] },
): Promise<StartedCallsOutcome> {
  const { runId, stepIndex, decided } = options;
  const started = decided.flatMap((call) => (call.execution ? [{ call, execution: call.execution }] : []));
  const stepStaysOpen = decided.some((call) => call.status === "PENDING");
  const repeatable = started.every(
    ({ execution }) => execution.riskClass === "READ" || execution.tool.idempotent === true,
  );
  const outcomes = new Map<string, ToolOutcome>();
  const queue: { call: DecidedCall; outcome: ToolOutcome }[] = [];
  let results: ToolResultPart[] | null = null;
  let writing: Promise<void> | null = null;
  let failure: unknown;

  const stepResults = () =>
    decided.map((call) => {
      const outcome = outcomes.get(call.id);
      return toToolResult({
        ...call,
        status: outcome?.to ?? call.status,
        result: outcome?.result ?? null,
        error: outcome?.error ?? call.error,
      });
    });

  /** The outcomes' write; with the step's results, it also stores the tool-results message. */
  const writeFor = (batch: typeof queue, closing: ToolResultPart[] | null): RunWrite =>
    mergeRunWrites(emptyRunWrite(), {
      finished: batch.map(({ call, outcome }) => ({
        id: call.id,
        status: outcome.to,
        result: outcome.result,
        error: outcome.error,
        attempts: 1,
      })),
      messages: closing ? [{ stepIndex, role: "TOOL", parts: closing }] : [],
      // Events hide released values: a read's result may repeat one the model put in its arguments.
      events: batch.map(({ call, outcome }) =>
        transitionEvent({ stepIndex, toolCallId: call.id }, outcome, options.released),
      ),
      audits: batch.map(({ call, outcome }) =>
        auditRecord(
          transitionAudit({
            name: endingTransition(outcome.to),
            actorId: options.actor.id,
            runId,
            toolCallId: call.id,
            data: { toolName: call.toolName, ...(outcome.error ? { error: outcome.error } : {}) },
            released: options.released,
          }),
        ),
      ),
    });

  const runIdentity = { runId, workerId: options.workerId, conversationId: options.conversationId };
  const drain = async () => {
    while (queue.length > 0 && !failure) {
      const batch = queue.splice(0);
      const last = outcomes.size === started.length && queue.length === 0;
      if (last && !stepStaysOpen) results = stepResults();
      try {
        await applyRunWrite(runIdentity, writeFor(batch, last && !stepStaysOpen ? results : null));
      } catch (error) {
        failure = error;
      }
    }
  };

  const record = (call: DecidedCall, outcome: ToolOutcome) => {
    outcomes.set(call.id, outcome);
    queue.push({ call, outcome });
    // A write that may have taken effect is recorded at once; repeatable calls wait for the end.
    if (repeatable) return;
    writing ??= drain().finally(() => {
      writing = null;
    });
  };

  await runBounded(started, options.deps.config.toolConcurrency, async ({ call, execution }) =>
    record(call, await runTool(execution, options)),
  );
  // Every outcome is known: the results are final even while the last write is in flight.
  const finalResults = stepStaysOpen ? null : stepResults();
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
