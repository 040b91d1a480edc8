/**
 * The run loop, as ordinary control flow over persisted state. Each turn settles the
 * open tool calls of the last committed model step (the slow path, tool-calls.ts), stops
 * if the run is done, or calls the model and commits its answer as the next step with
 * the calls it proposed already decided (the fast path, step-commit.ts), then runs the
 * calls that commit started. Because every step is committed before the next begins, a
 * run can be resumed from the database by any worker after a crash, a cancel or an
 * approval. Each tool call moves through one lifecycle (tool-call-lifecycle.ts).
 */
import { randomUUID } from "node:crypto";
import type { ModelMessage, ToolResultPart } from "ai";
import { policyForNewCalls } from "../approvals/current-policy";
import { sensitiveValuesFrom } from "../approvals/released-values";
import { isDatabaseError, isDatabaseUnavailable } from "../db/errors";
import { applyRunWrite, emptyRunWrite, mergeRunWrites } from "../db/run-write";
import { transitionRun } from "../db/runs";
import {
  LeaseLostError,
  type LoadedRunState,
  loadRunState,
  type RunState,
  readToolCalls,
  type ToolCallState,
} from "../db/steps";
import { inTransaction } from "../db/transaction";
import { maskingLogger } from "../telemetry/logger";
import type { ToolActor } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import { createEventWriter, type EventWriter, maskedStepWriter } from "./event-writer";
import { toModelMessages } from "./history";
import { ModelCallError, type ModelStepResult, runModelStep } from "./model-step";
import { maskRunTrace, traceRun, traceSettle, traceStep } from "./run-tracing";
import { type CommittedStep, commitStepFast, type DecidedCall, decideCalls, runStartedCalls } from "./step-commit";
import { resumingWriter, shownStepText } from "./stream-resume";
import { type SettleOptions, settleToolCalls } from "./tool-calls";

/** How long repeatable tool outcomes may wait to share the next write. */
const CLOSE_STEP_WITHIN_MS = 5;

export type RunOutcome =
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "AWAITING_APPROVAL"
  | "LEASE_LOST"
  /** The worker is stopping: the run went back to the queue for another worker, losing nothing. */
  | "RELEASED"
  | "NOT_RUNNABLE"
  /** The database went away mid-run: nothing more is written; the run resumes once it is back. */
  | "INTERRUPTED";

export class RunCancelledError extends Error {
  constructor() {
    super("The run was cancelled.");
    this.name = "RunCancelledError";
  }
}

/** The worker is stopping: the run gives its lease back (see StopOptions in worker.ts). */
export class RunReleasedError extends Error {
  constructor() {
    super("This server is stopping; another one continues the run.");
    this.name = "RunReleasedError";
  }
}

class RunTimeoutError extends Error {
  constructor(ms: number) {
    super(`The run took longer than ${Math.round(ms / 1000)} s and was stopped.`);
    this.name = "RunTimeoutError";
  }
}

export interface ExecuteRunOptions {
  runId: string;
  workerId: string;
  /** Aborted by the worker on cancel (with RunCancelledError) or lost lease. */
  signal: AbortSignal;
  /**
   * Aborted when the worker stops: the run is released (back to QUEUED) before its next
   * model call, or at once while a model call streams (that call is repeated elsewhere);
   * tool calls already running are not cut by it.
   */
  release?: AbortSignal;
  deps: EngineDependencies;
}

async function finish(
  options: ExecuteRunOptions,
  status: "COMPLETED" | "FAILED" | "CANCELLED" | "AWAITING_APPROVAL",
  error?: string,
): Promise<RunOutcome> {
  const moved = await inTransaction(
    (tx) =>
      transitionRun({ runId: options.runId, workerId: options.workerId, status, ...(error ? { error } : {}), tx }),
    { leased: true },
  );
  return moved ? status : "LEASE_LOST";
}

export async function executeRun(runOptions: ExecuteRunOptions): Promise<RunOutcome> {
  const state = await loadRunState(runOptions.runId);
  if (state?.run.status !== "RUNNING") return "NOT_RUNNABLE";
  return traceRun(runOptions, state.run, () => executeLoadedRun(runOptions, state));
}

async function executeLoadedRun(runOptions: ExecuteRunOptions, state: LoadedRunState): Promise<RunOutcome> {
  const { runId, workerId } = runOptions;
  const sensitive = sensitiveValuesFrom(state.sensitiveResults, runOptions.deps.tools);
  maskRunTrace(sensitive);
  // Everything this run logs (the engine, the model step, its tools) hides released values.
  const deps = { ...runOptions.deps, logger: maskingLogger(runOptions.deps.logger, () => sensitive) };
  const options = { ...runOptions, deps };
  const log = deps.logger.child({ runId, workerId });

  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new RunTimeoutError(deps.config.runTimeoutMs)),
    deps.config.runTimeoutMs,
  );
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  const writer = createEventWriter({ runId, workerId, conversationId: state.run.conversationId });
  let partialText = "";
  try {
    if (state.run.cancelRequested) throw new RunCancelledError();
    writer.defer({ type: "run-status", status: "RUNNING" });
    const release = options.release ?? new AbortController().signal;
    const run: ActiveRun = {
      state,
      options,
      signal,
      release,
      modelSignal: AbortSignal.any([signal, release]),
      writer,
      sensitive,
      actor: { id: state.run.userId, role: state.run.userRole },
      onPartialText: (text) => {
        partialText = text;
      },
    };
    return await loop(run);
  } catch (error) {
    const reason = signal.aborted ? signal.reason : error;
    if (reason instanceof RunReleasedError || error instanceof RunReleasedError) {
      await writer.flush();
      const moved = await inTransaction((tx) => transitionRun({ runId, workerId, status: "QUEUED", tx }), {
        leased: true,
      });
      log.info(moved ? "run released to another worker" : "lease lost while releasing the run");
      return moved ? "RELEASED" : "LEASE_LOST";
    }
    if (reason instanceof LeaseLostError || error instanceof LeaseLostError) {
      log.warn("lease lost; another worker owns the run now");
      return "LEASE_LOST";
    }
    if (isDatabaseUnavailable(error) || isDatabaseUnavailable(reason)) {
      // Not the run's fault (the database went away, or a transaction outside the lease
      // found the pool busy through every wait): its lease runs out and a worker resumes
      // it from the last committed step when the database answers again.
      log.warn("database unavailable; the run will resume from its last committed step", {
        error: (error as Error).message,
      });
      return "INTERRUPTED";
    }
    await writer.flush().catch(() => {});
    if (reason instanceof RunCancelledError) {
      log.info("run cancelled");
      await keepPartialText(state, options, partialText).catch((keepError) =>
        log.error("could not keep partial text", { error: keepError }),
      );
      return finish(options, "CANCELLED");
    }
    const message =
      reason instanceof RunTimeoutError || reason instanceof ModelCallError
        ? reason.message
        : isDatabaseError(reason)
          ? "The run failed because of an error on the server. It has been logged."
          : `The run failed: ${reason instanceof Error ? reason.message : String(reason)}`;
    log.error("run failed", { error: reason });
    return finish(options, "FAILED", message);
  } finally {
    clearTimeout(timer);
    // Whatever way the attempt ends, nothing it still held is written after it returns.
    await writer.close();
  }
}

/** A run this worker is executing: what every turn of the loop works with. */
interface ActiveRun {
  state: RunState;
  options: ExecuteRunOptions;
  signal: AbortSignal;
  /** The worker is stopping: checked between turns; it also cuts a streaming model call. */
  release: AbortSignal;
  /** What a model call listens to: the run's signal or the release. */
  modelSignal: AbortSignal;
  writer: EventWriter;
  /** Values released by sensitive reads in this conversation; hidden from the event log. */
  sensitive: Set<string>;
  actor: ToolActor;
  /** What the model has said in the step being streamed (kept on cancel). */
  onPartialText: (text: string) => void;
}

/** Where the run stands between two turns of the loop. */
interface Progress {
  history: ModelMessage[];
  lastStep: { id: string; index: number; finishReason: string } | null;
  /** Calls of the last step that did not settle as it was committed. */
  openCalls: ToolCallState[];
  stepCount: number;
}

async function loop(run: ActiveRun): Promise<RunOutcome> {
  const { state } = run;
  const progress: Progress = {
    history: toModelMessages(state.messages),
    lastStep: state.lastStep,
    openCalls: state.lastStepHasResults ? [] : state.lastStepToolCalls,
    stepCount: state.run.stepCount,
  };
  for (;;) {
    if (run.signal.aborted) throw run.signal.reason;
    if (run.release.aborted) throw run.release.reason;
    // The trace's step spans are entered here, in the loop's own async context: everything
    // the rest of this turn starts (model call, decisions, commit, tools) nests under them.
    if (progress.openCalls.length > 0) {
      traceSettle(run.options.runId, progress.lastStep?.index ?? progress.stepCount - 1);
      if ((await settleOpenCalls(run, progress)) === "suspended") return end(run, { status: "AWAITING_APPROVAL" });
    }
    const stop = stopCondition(progress, run.options.deps.config.maxSteps);
    if (stop) return end(run, stop);
    traceStep(run.options.runId, progress.stepCount);
    const answer = await callModel(run, progress);
    const { committed, decided } = await commitModelStep(run, progress, answer);
    await runCommittedCalls(run, progress, committed, decided);
  }
}

/** The run stops here: what its writer still holds goes out first. */
async function end(
  run: ActiveRun,
  stop: { status: "COMPLETED" | "FAILED" | "AWAITING_APPROVAL"; error?: string },
): Promise<RunOutcome> {
  await run.writer.flush();
  return finish(run.options, stop.status, stop.error);
}

/** Whether the run is done: the model stopped asking for tools, or the step limit is reached. */
function stopCondition(
  progress: Progress,
  maxSteps: number,
): { status: "COMPLETED" | "FAILED"; error?: string } | null {
  if (progress.lastStep && progress.lastStep.finishReason !== "tool-calls") return { status: "COMPLETED" };
  if (progress.stepCount >= maxSteps) {
    return { status: "FAILED", error: `The run stopped after reaching the limit of ${maxSteps} steps.` };
  }
  return null;
}

function settleOptions(run: ActiveRun, step: { id: string; index: number }): SettleOptions {
  const { runId, workerId, deps } = run.options;
  return {
    runId,
    workerId,
    conversationId: run.state.run.conversationId,
    stepId: step.id,
    stepIndex: step.index,
    actor: run.actor,
    signal: run.signal,
    deps,
    released: run.sensitive,
  };
}

/** The slow path settles the last step's open calls; their results close the step. */
async function settleOpenCalls(run: ActiveRun, progress: Progress): Promise<"settled" | "suspended"> {
  const step = progress.lastStep as NonNullable<Progress["lastStep"]>;
  // The slow path writes its own events: deferred ones go first, in order.
  await run.writer.flush();
  const settled = await settleToolCalls(progress.openCalls, settleOptions(run, step));
  if (run.signal.aborted) throw run.signal.reason;
  if (settled.suspended) return "suspended";
  const { runId, workerId } = run.options;
  await applyRunWrite(
    { runId, workerId, conversationId: run.state.run.conversationId },
    mergeRunWrites(emptyRunWrite(), { messages: [{ stepIndex: step.index, role: "TOOL", parts: settled.results }] }),
  );
  closeStep(progress, settled.results);
  return "settled";
}

/** The step's tool results join the history; nothing of it is open any more. */
function closeStep(progress: Progress, results: ToolResultPart[]): void {
  progress.history.push({ role: "tool", content: results });
  progress.openCalls = [];
}

/** One model call, streamed to viewers with released values hidden. */
async function callModel(run: ActiveRun, progress: Progress): Promise<ModelStepResult> {
  const { deps } = run.options;
  const stepIndex = progress.stepCount;
  run.onPartialText("");
  // The first step of this attempt may have streamed before an interruption: resume it.
  const resuming = resumingWriter(run.writer, {
    stepIndex,
    modelId: run.state.run.modelId,
    // Only an earlier attempt can have streamed it: a run's first attempt skips the read.
    shown:
      stepIndex === run.state.run.stepCount && run.state.run.attempts > 1
        ? (await shownStepText(run.options.runId, stepIndex)).text
        : "",
  });
  const writer = maskedStepWriter(resuming, {
    released: run.sensitive,
    onText: run.onPartialText,
    shown: resuming.shown,
  });
  const answer = await runModelStep({
    model: deps.resolveModel(run.state.run.modelId),
    messages: progress.history,
    tools: deps.tools.list(),
    stepIndex,
    modelId: run.state.run.modelId,
    writer,
    signal: run.modelSignal,
    maxRetries: deps.config.modelMaxRetries,
    idleTimeoutMs: deps.config.modelIdleTimeoutMs,
    retryBaseMs: deps.config.modelRetryBaseMs,
    logger: deps.logger,
  });
  writer.end(stepIndex);
  resuming.settle();
  return answer;
}

/**
 * The fast path commits the model's answer as the next step, its proposed calls decided
 * now and stored with it (allowed ones start as the step commits), together with what
 * the event writer still held.
 */
async function commitModelStep(
  run: ActiveRun,
  progress: Progress,
  answer: ModelStepResult,
): Promise<{ committed: CommittedStep; decided: DecidedCall[] }> {
  const { runId, workerId, deps } = run.options;
  const stepIndex = progress.stepCount;
  const assistantParts = [
    ...(answer.text.length > 0 ? [{ type: "text", text: answer.text }] : []),
    ...answer.toolCalls.map((call) => ({
      type: "tool-call",
      toolCallId: call.modelCallId,
      toolName: call.toolName,
      input: call.input ?? {},
    })),
  ];
  const decided = await decideCalls({
    runId,
    stepIndex,
    proposed: answer.toolCalls,
    actor: run.actor,
    policy: await policyForNewCalls(),
    deps,
  });
  const committed = await commitStepFast({
    runId,
    workerId,
    conversationId: run.state.run.conversationId,
    actorId: run.actor.id,
    stepIndex,
    modelId: run.state.run.modelId,
    result: answer,
    assistantParts,
    decided,
    deferred: await run.writer.take(),
    released: run.sensitive,
  });
  run.onPartialText("");
  if (assistantParts.length > 0) progress.history.push({ role: "assistant", content: assistantParts as never });
  progress.stepCount = stepIndex + 1;
  progress.lastStep = { id: committed.stepId, index: stepIndex, finishReason: answer.finishReason };
  progress.openCalls = [];
  return { committed, decided };
}

/**
 * Runs the calls the step's commit started. Their outcomes close the step, unless some
 * call needs a human: then the step's calls stay open for the slow path, which asks.
 */
async function runCommittedCalls(
  run: ActiveRun,
  progress: Progress,
  committed: CommittedStep,
  decided: DecidedCall[],
): Promise<void> {
  if (committed.results) return closeStep(progress, committed.results);
  if (decided.length === 0) return;
  if (!decided.some((call) => call.status === "RUNNING")) {
    progress.openCalls = await readToolCalls(committed.stepId);
    return;
  }
  const step = progress.lastStep as NonNullable<Progress["lastStep"]>;
  const started = await runStartedCalls({ ...settleOptions(run, step), decided });
  await started.durable;
  if (started.unwritten) {
    // Written with the next thing the run writes (usually the next step's commit), or
    // within a few milliseconds, so viewers see the results promptly either way.
    run.writer.deferWrite(started.unwritten, CLOSE_STEP_WITHIN_MS);
    if (!started.results) await run.writer.flush();
  }
  if (started.results) closeStep(progress, started.results);
  else progress.openCalls = await readToolCalls(committed.stepId);
}

/** On cancel, what the model had streamed so far is kept as the step's text. */
async function keepPartialText(state: RunState, options: ExecuteRunOptions, text: string): Promise<void> {
  if (text.length === 0) return;
  const current = await loadRunState(options.runId);
  const index = current?.run.stepCount ?? state.run.stepCount;
  await applyRunWrite(
    { runId: options.runId, workerId: options.workerId, conversationId: state.run.conversationId },
    mergeRunWrites(emptyRunWrite(), {
      stepCount: index + 1,
      step: { id: randomUUID(), index, modelId: state.run.modelId, finishReason: "cancelled", latencyMs: 0 },
      messages: [{ stepIndex: index, role: "ASSISTANT", parts: [{ type: "text", text }] }],
      events: [{ type: "step-finished", stepIndex: index, finishReason: "cancelled", latencyMs: 0 }],
    }),
  );
}
