/**
 * The run loop, as ordinary control flow over persisted state. Each iteration either
 * settles the tool calls of the last committed step or makes one model call and commits
 * it as a step. Because every step is committed before the next begins, a run can be
 * resumed from the database by any worker after a crash, a cancel or an approval.
 */
import type { ModelMessage } from "ai";
import { policyForNewCalls } from "../approvals/current-policy";
import { sensitiveValuesFrom } from "../approvals/released-values";
import { isDatabaseError, isDatabaseUnavailable } from "../db/errors";
import { transitionRun } from "../db/runs";
import { commitStep, commitToolResults, LeaseLostError, loadRunState, type RunState, readToolCalls } from "../db/steps";
import { inTransaction } from "../db/transaction";
import { createStreamMasker } from "../shared/sensitive-values";
import { maskingLogger } from "../telemetry/logger";
import type { EngineDependencies } from "./engine-config";
import { createEventWriter, type EventWriter } from "./event-writer";
import { toModelMessages } from "./history";
import { ModelCallError, runModelStep } from "./model-step";
import { commitStepFast, planCalls, runStartedCalls } from "./step-commit";
import { resumingWriter, shownStepText } from "./stream-resume";
import { settleToolCalls } from "./tool-calls";

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

export class RunTimeoutError extends Error {
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
  const moved = await inTransaction((tx) =>
    transitionRun({ runId: options.runId, workerId: options.workerId, status, ...(error ? { error } : {}), tx }),
  );
  return moved ? status : "LEASE_LOST";
}

export async function executeRun(runOptions: ExecuteRunOptions): Promise<RunOutcome> {
  const { runId, workerId } = runOptions;
  const state = await loadRunState(runId);
  if (state?.run.status !== "RUNNING") return "NOT_RUNNABLE";
  const sensitive = sensitiveValuesFrom(state.sensitiveResults, runOptions.deps.tools);
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
    return await loop(state, sensitive, options, signal, writer, (text) => {
      partialText = text;
    });
  } catch (error) {
    const reason = signal.aborted ? signal.reason : error;
    if (reason instanceof RunReleasedError || error instanceof RunReleasedError) {
      await writer.flush();
      const moved = await inTransaction((tx) => transitionRun({ runId, workerId, status: "QUEUED", tx }));
      log.info(moved ? "run released to another worker" : "lease lost while releasing the run");
      return moved ? "RELEASED" : "LEASE_LOST";
    }
    if (reason instanceof LeaseLostError || error instanceof LeaseLostError) {
      log.warn("lease lost; another worker owns the run now");
      return "LEASE_LOST";
    }
    if (isDatabaseUnavailable(error) || isDatabaseUnavailable(reason)) {
      // Not the run's fault: its lease runs out and a worker resumes it from the last
      // committed step when the database answers again.
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
  }
}

async function loop(
  state: RunState,
  /** Values released by sensitive reads in this conversation; hidden from the event log. */
  sensitive: Set<string>,
  options: ExecuteRunOptions,
  signal: AbortSignal,
  writer: ReturnType<typeof createEventWriter>,
  onPartialText: (text: string) => void,
): Promise<RunOutcome> {
  const { deps, runId, workerId } = options;
  const history: ModelMessage[] = toModelMessages(state.messages);
  const actor = { id: state.run.userId, role: state.run.userRole };
  let lastStep = state.lastStep;
  let openCalls = state.lastStepHasResults ? [] : state.lastStepToolCalls;
  let stepCount = state.run.stepCount;

  const release = options.release ?? new AbortController().signal;
  const modelSignal = AbortSignal.any([signal, release]);
  for (;;) {
    if (signal.aborted) throw signal.reason;
    if (release.aborted) throw release.reason;
    if (lastStep && openCalls.length > 0) {
      // The slow path writes its own events: deferred ones go first, in order.
      await writer.flush();
      const settled = await settleToolCalls(openCalls, {
        runId,
        workerId,
        conversationId: state.run.conversationId,
        stepId: lastStep.id,
        stepIndex: lastStep.index,
        actor,
        signal,
        deps,
        released: sensitive,
      });
      if (signal.aborted) throw signal.reason;
      if (settled.suspended) {
        await writer.flush();
        return finish(options, "AWAITING_APPROVAL");
      }
      await commitToolResults({
        runId,
        workerId,
        conversationId: state.run.conversationId,
        stepIndex: lastStep.index,
        parts: settled.results,
      });
      history.push({ role: "tool", content: settled.results });
      openCalls = [];
    }
    if (lastStep && lastStep.finishReason !== "tool-calls") {
      await writer.flush();
      return finish(options, "COMPLETED");
    }
    if (stepCount >= deps.config.maxSteps) {
      await writer.flush();
      return finish(options, "FAILED", `The run stopped after reaching the limit of ${deps.config.maxSteps} steps.`);
    }

    const stepIndex = stepCount;
    const model = deps.resolveModel(state.run.modelId);
    const tools = deps.tools.list();
    onPartialText("");
    const partial = { text: "" };
    // Text that repeats a released sensitive value is stored in events with it hidden.
    let masker = createStreamMasker(() => sensitive);
    // The first step of this attempt may have streamed before an interruption: resume it.
    const stepWriter = resumingWriter(writer, {
      stepIndex,
      modelId: state.run.modelId,
      shown: stepIndex === state.run.stepCount ? (await shownStepText(runId, stepIndex)).text : "",
    });
    const trackingWriter: EventWriter = {
      ...writer,
      defer(event) {
        // A retried model call starts the step's text over (as the live view does), so
        // a cancel keeps only what the current attempt said, not the cut attempt too.
        if (event.type === "step-started") {
          partial.text = "";
          // A cancel keeps what the viewers see: a resumed step shows its earlier text.
          onPartialText(stepWriter.shown());
          masker = createStreamMasker(() => sensitive);
        }
        stepWriter.defer(event);
      },
      textDelta(index: number, text: string) {
        partial.text += text;
        onPartialText(partial.text.length >= stepWriter.shown().length ? partial.text : stepWriter.shown());
        const visible = sensitive.size > 0 ? masker.push(text) : text;
        if (visible) stepWriter.textDelta(index, visible);
      },
    };
    const result = await runModelStep({
      model,
      messages: history,
      tools,
      stepIndex,
      modelId: state.run.modelId,
      writer: trackingWriter,
      signal: modelSignal,
      maxRetries: deps.config.modelMaxRetries,
      idleTimeoutMs: deps.config.modelIdleTimeoutMs,
      retryBaseMs: deps.config.modelRetryBaseMs,
      logger: deps.logger,
    });
    const rest = masker.flush();
    if (rest) stepWriter.textDelta(stepIndex, rest);
    stepWriter.settle();
    const assistantParts = [
      ...(result.text.length > 0 ? [{ type: "text", text: result.text }] : []),
      ...result.toolCalls.map((call) => ({
        type: "tool-call",
        toolCallId: call.modelCallId,
        toolName: call.toolName,
        input: call.input ?? {},
      })),
    ];
    // Decided now and committed with the step: allowed calls start as the step commits.
    const planned = await planCalls({
      runId,
      stepIndex,
      proposed: result.toolCalls,
      actor,
      policy: await policyForNewCalls(),
      deps,
    });
    const committed = await commitStepFast({
      runId,
      workerId,
      conversationId: state.run.conversationId,
      actorId: actor.id,
      stepIndex,
      modelId: state.run.modelId,
      result,
      assistantParts,
      planned,
      deferred: await writer.take(),
      released: sensitive,
    });
    onPartialText("");
    if (assistantParts.length > 0) history.push({ role: "assistant", content: assistantParts as never });
    stepCount = stepIndex + 1;
    lastStep = { id: committed.stepId, index: stepIndex, finishReason: result.finishReason };
    openCalls = [];
    if (committed.results) {
      history.push({ role: "tool", content: committed.results });
    } else if (planned.some((call) => call.status === "RUNNING")) {
      const started = await runStartedCalls({
        runId,
        workerId,
        conversationId: state.run.conversationId,
        stepId: committed.stepId,
        stepIndex,
        actor,
        signal,
        deps,
        released: sensitive,
        planned,
      });
      await started.durable;
      if (started.unwritten) {
        // Written with the next thing the run writes (usually the next step's commit), or
        // within a few milliseconds, so viewers see the results promptly either way.
        writer.deferWrite(started.unwritten, CLOSE_STEP_WITHIN_MS);
        if (!started.results) await writer.flush();
      }
      if (started.results) history.push({ role: "tool", content: started.results });
      else openCalls = await readToolCalls(committed.stepId);
    } else if (planned.length > 0) {
      // Some call needs a human: the slow path creates its approval request and parks.
      openCalls = await readToolCalls(committed.stepId);
    }
  }
}

/** On cancel, what the model had streamed so far is kept as the step's text. */
async function keepPartialText(state: RunState, options: ExecuteRunOptions, text: string): Promise<void> {
  if (text.length === 0) return;
  const current = await loadRunState(options.runId);
  const index = current?.run.stepCount ?? state.run.stepCount;
  await commitStep({
    runId: options.runId,
    workerId: options.workerId,
    conversationId: state.run.conversationId,
    index,
    modelId: state.run.modelId,
    finishReason: "cancelled",
    latencyMs: 0,
    assistantParts: [{ type: "text", text }],
    toolCalls: [],
    events: [{ type: "step-finished", stepIndex: index, finishReason: "cancelled", latencyMs: 0 }],
  });
}
