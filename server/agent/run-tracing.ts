/**
 * The run's one trace, across time and processes. Queuing a run opens its trace (a
 * `run` span under the user's request) and stores the span's `traceparent` on the row;
 * every attempt of the run, on whichever instance, starts `run.attempt` with that stored
 * context as its parent, so a run resumed days later after an approval continues the
 * same trace. Steps, model calls, policy decisions, tool calls and the step commit's
 * database round trips nest under the attempt. Metrics of the same moments are recorded
 * here too, so the engine has one call per moment, not two.
 *
 * The engine calls these helpers in a handful of places (run-engine.ts, step-commit.ts,
 * tool-calls.ts); the logic lives here.
 */
import { storeRunTraceContext, storeRunTraceStatement } from "../db/run-trace";
import { withLogContext } from "../telemetry/log-context";
import { bounded, metrics, nameLabel, RISK_CLASSES, RUN_OUTCOMES, TOOL_OUTCOMES } from "../telemetry/metrics";
import {
  contextFromTraceparent,
  contextOf,
  enterSpan,
  forgetTraceMask,
  maskTraceWith,
  NO_SPAN,
  type OpenSpan,
  openSpan,
  type SpanAttributes,
  traced,
  traceIdOf,
  traceparentOf,
  tracingActive,
} from "../telemetry/tracing";

/**
 * What each run being executed in this process has open: its attempt span, its current
 * step (with tracing off the spans are no-ops, but the step's duration still goes to the
 * metrics).
 */
interface RunTrace {
  attempt: OpenSpan;
  step: OpenSpan | null;
  /** When the current step started (performance.now()), null between steps. */
  stepStarted: number | null;
  traceId: string | null;
}

const runs = new Map<string, RunTrace>();

/**
 * Opens the run's trace as it is queued (a `run` span under the sender's request span)
 * and returns the statement that stores its context on the run: part of the batch that
 * queues it. Nothing with tracing off.
 */
export function runTraceStatements(run: {
  runId: string;
  conversationId: string;
  userId: string;
  modelId: string;
}): string[] {
  if (!tracingActive()) return [];
  const span = openSpan("run", {
    "airlock.run.id": run.runId,
    "airlock.conversation.id": run.conversationId,
    "enduser.id": run.userId,
    "gen_ai.request.model": run.modelId,
  });
  span.end();
  const traceparent = traceparentOf(span);
  return traceparent ? [storeRunTraceStatement(run.runId, traceparent)] : [];
}

/**
 * One attempt of a run on this worker, as `run.attempt` in the run's trace. The outcome
 * and duration also go to the metrics.
 */
export async function traceRun<Outcome extends string>(
  options: { runId: string; workerId: string },
  run: { userId: string; traceContext: string | null },
  work: () => Promise<Outcome>,
): Promise<Outcome> {
  const started = performance.now();
  // Every log line of the attempt names the run and its user (and the span it is in).
  return withLogContext({ runId: options.runId, userId: run.userId }, () =>
    attemptRun(options, run.traceContext, work, started),
  );
}

async function attemptRun<Outcome extends string>(
  options: { runId: string; workerId: string },
  stored: string | null,
  work: () => Promise<Outcome>,
  started: number,
): Promise<Outcome> {
  const tracing = tracingActive();
  const parent = tracing ? contextFromTraceparent(stored) : undefined;
  const attempt = tracing
    ? openSpan(
        "run.attempt",
        {
          "airlock.run.id": options.runId,
          "airlock.worker.id": options.workerId,
          "airlock.run.resumed": stored !== null,
        },
        parent ? { parent } : {},
      )
    : NO_SPAN;
  const entry: RunTrace = { attempt, step: null, stepStarted: null, traceId: traceIdOf(attempt) };
  runs.set(options.runId, entry);
  try {
    // A run queued while tracing was off gets its trace now, so later attempts join it.
    const traceparent = stored ? null : traceparentOf(attempt);
    if (traceparent) await storeRunTraceContext(options.runId, traceparent);
    const outcome = await attempt.within(work);
    attempt.set({ "airlock.run.outcome": outcome });
    recordRunOutcome(outcome, started);
    return outcome;
  } catch (error) {
    attempt.fail(error);
    throw error;
  } finally {
    endStep(entry);
    attempt.end();
    runs.delete(options.runId);
    if (entry.traceId && ![...runs.values()].some((other) => other.traceId === entry.traceId)) {
      forgetTraceMask(entry.traceId);
    }
  }
}

function recordRunOutcome(outcome: string, started: number): void {
  const label = bounded(outcome, RUN_OUTCOMES);
  metrics.runAttempts.inc({ outcome: label });
  metrics.runDuration.observe({ outcome: label }, (performance.now() - started) / 1000);
}

/**
 * The run's released sensitive values: every span of its trace is masked with them
 * (the same live set the engine masks its events and log lines with).
 */
export function maskRunTrace(sensitive: ReadonlySet<string>): void {
  maskTraceWith(sensitive);
}

function endStep(entry: RunTrace): void {
  entry.step?.end();
  entry.step = null;
  if (entry.stepStarted !== null) metrics.stepDuration.observe((performance.now() - entry.stepStarted) / 1000);
  entry.stepStarted = null;
}

/**
 * Starts the step's span and makes it the active parent for the rest of the engine's
 * loop iteration: the model call, the decisions, the commit and the tools it starts
 * nest under it. The previous step's span ends here (or when the attempt ends).
 */
export function traceStep(runId: string, stepIndex: number): void {
  const entry = runs.get(runId);
  if (!entry) return;
  endStep(entry);
  const parent = contextOf(entry.attempt);
  // Spans only in a traced attempt (tracing may have been started after the attempt began).
  entry.step = parent ? openSpan("step", { "airlock.step.index": stepIndex }, { parent }) : null;
  entry.stepStarted = performance.now();
  if (entry.step) enterSpan(entry.step);
}

/**
 * Settling a committed step's open calls (the slow path: approvals, resumed calls) as
 * `step.settle` under the attempt, active for the rest of the loop iteration like a step.
 */
export function traceSettle(runId: string, stepIndex: number): void {
  const entry = runs.get(runId);
  if (!entry) return;
  endStep(entry);
  const parent = contextOf(entry.attempt);
  entry.step = parent ? openSpan("step.settle", { "airlock.step.index": stepIndex }, { parent }) : null;
  entry.stepStarted = performance.now();
  if (entry.step) enterSpan(entry.step);
}

/** One tool call's execution: tool, risk class, approval, outcome, duration. */
export async function traceToolCall<Outcome extends { to: string; error?: string }>(
  call: {
    toolCallId: string;
    toolName: string;
    riskClass: string | null | undefined;
    approved?: boolean;
    edited?: boolean;
    network?: boolean;
    mcpServer?: string;
  },
  work: () => Promise<Outcome>,
): Promise<Outcome> {
  const started = performance.now();
  const attributes: SpanAttributes = {
    "gen_ai.operation.name": "execute_tool",
    "gen_ai.tool.name": call.toolName,
    "gen_ai.tool.call.id": call.toolCallId,
    "airlock.tool.risk_class": call.riskClass ?? undefined,
    // Flags only when set: every attribute is written out for every call.
    "airlock.tool.approved": call.approved || undefined,
    "airlock.tool.edited": call.edited || undefined,
    "airlock.tool.network": call.network || undefined,
    "airlock.mcp.server": call.mcpServer,
  };
  return traced(`execute_tool ${call.toolName}`, attributes, async (span) => {
    const outcome = await work();
    const seconds = (performance.now() - started) / 1000;
    span.set({ "airlock.tool.outcome": outcome.to, "airlock.tool.error": outcome.error });
    if (outcome.to !== "SUCCEEDED") span.fail(new Error(outcome.error ?? outcome.to));
    const tool = nameLabel(call.toolName);
    metrics.toolCalls.inc({
      tool,
      risk_class: bounded(call.riskClass, RISK_CLASSES),
      outcome: bounded(outcome.to, TOOL_OUTCOMES),
    });
    metrics.toolDuration.observe({ tool }, seconds);
    return outcome;
  });
}
