/**
 * Runs one started tool call and says how it ended, without writing anything: the
 * caller records the outcome through the lifecycle (tool-call-lifecycle.ts) — per call
 * on the slow path, batched on the fast path. Each call has its own timeout and
 * cancellation; a call cut off is reported only once nothing of it runs any more, and a
 * write cut off is an unknown outcome, never a failure. Output is checked against the
 * tool's schema, capped, and a sensitive read's values are added to the run's released
 * values so events only ever carry them hidden.
 */
import { formatIssues } from "../approvals/evaluate-call";
import { sensitiveValuesOf } from "../approvals/released-values";
import type { ToolCallState } from "../db/steps";
import type { RiskClass } from "../shared/risk";
import { maskDeep } from "../shared/sensitive-values";
import { replaceUnstorableJson, replaceUnstorableText } from "../shared/text";
import { type AnyTool, type ToolActor, type ToolContext, ToolOutcomeUnknownError } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import { traceToolCall } from "./run-tracing";
import type { ToolOutcome } from "./tool-call-lifecycle";

/** What a call runs with: the tool, its canonical input and the authority policy gave it. */
export interface Execution {
  call: Pick<ToolCallState, "id" | "idempotencyKey">;
  tool: AnyTool;
  input: unknown;
  riskClass: RiskClass;
  /** A reviewer changed the arguments; the model is told along with the result. */
  edited: boolean;
  /** A reviewer's approval was consumed to start it (or, after a crash, had been). */
  approved: boolean;
  /** Policy's decision as the call starts grants network access (a confirmed rule). */
  network: boolean;
}

/** What a call's run needs from the run it belongs to. */
export interface RunToolOptions {
  runId: string;
  actor: ToolActor;
  signal: AbortSignal;
  deps: EngineDependencies;
  /** Values released by sensitive reads; a sensitive read adds its own. */
  released: Set<string>;
  stepIndex: number;
}

export function toolContext(
  options: Pick<RunToolOptions, "runId" | "actor" | "deps">,
  call: Execution["call"],
  tool: AnyTool,
  signal: AbortSignal,
  authority: { riskClass: RiskClass; approved: boolean; network: boolean },
): ToolContext {
  let logger: ToolContext["logger"] | undefined;
  return {
    signal,
    actor: options.actor,
    runId: options.runId,
    toolCallId: call.id,
    idempotencyKey: call.idempotencyKey,
    riskClass: authority.riskClass,
    approved: authority.approved,
    network: authority.network,
    // Made when a tool first logs: most calls never do.
    get logger() {
      logger ??= options.deps.logger.child({ runId: options.runId, toolCallId: call.id, tool: tool.name });
      return logger;
    },
  };
}

/** Tool output nests as its schema says; far past that, the record keeps it as capped JSON text. */
const MAX_OUTPUT_DEPTH = 200;

/**
 * What is stored of a tool's output: at most `capChars` of JSON, and nothing jsonb refuses.
 * Output is data from outside (a file, a command's stdout): NUL and lone surrogates in it,
 * or made by cutting a surrogate pair at the cap, become U+FFFD instead of failing the call.
 */
function capOutput(value: unknown, capChars: number): unknown {
  const json = JSON.stringify(value) ?? "null";
  if (json.length <= capChars) {
    try {
      return replaceUnstorableJson(value, MAX_OUTPUT_DEPTH);
    } catch {
      return { truncated: false, originalChars: json.length, preview: replaceUnstorableText(json) };
    }
  }
  return { truncated: true, originalChars: json.length, preview: replaceUnstorableText(json.slice(0, capChars)) };
}

/** How long an aborted tool may take to stop before its outcome is reported anyway. */
const ABORT_GRACE_MS = 3_000;

/** Runs a started call and says how it ended, inside its tool-call span. */
export function runTool(execution: Execution, options: RunToolOptions): Promise<ToolOutcome> {
  const span = { ...execution, toolCallId: execution.call.id, toolName: execution.tool.name };
  return traceToolCall(span, () => executeTool(execution, options));
}

async function executeTool(execution: Execution, options: RunToolOptions): Promise<ToolOutcome> {
  const { call, tool } = execution;
  const { config } = options.deps;
  // One controller per call, aborted by the run's signal or the tool's timeout (cheaper
  // than AbortSignal.any, and nothing stays attached to the run's signal afterwards).
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`${tool.name} timed out after ${config.toolTimeoutMs} ms`));
  }, config.toolTimeoutMs);
  const onRunAbort = () => controller.abort(options.signal.reason);
  if (options.signal.aborted) onRunAbort();
  else options.signal.addEventListener("abort", onRunAbort, { once: true });
  const signal = controller.signal;
  try {
    const output = await new Promise<unknown>((resolve, reject) => {
      // A call whose run was stopped before it started is not started at all.
      if (signal.aborted) return reject(signal.reason);
      let stopping = false;
      signal.addEventListener(
        "abort",
        () => {
          // The tool was told (its signal) and gets a moment to stop what it started —
          // the shell kills its sandbox — so the outcome is reported only once nothing
          // of the call runs any more; a tool that ignores its signal is not waited for.
          stopping = true;
          setTimeout(() => reject(signal.reason), ABORT_GRACE_MS).unref();
        },
        { once: true },
      );
      tool
        .execute(
          execution.input,
          toolContext(options, call, tool, signal, {
            riskClass: execution.riskClass,
            approved: execution.approved,
            network: execution.network,
          }),
        )
        .then(
          (value) => (stopping ? reject(signal.reason) : resolve(value)),
          (error) => reject(stopping ? signal.reason : error),
        );
    });
    const checked = tool.output.safeParse(output);
    if (!checked.success) {
      return {
        to: "FAILED",
        error: `${tool.name} returned invalid output: ${formatIssues(checked.error)}`,
      };
    }
    const result = execution.edited
      ? {
          note: "A reviewer edited the arguments before approving; this is the result of the edited call.",
          arguments: execution.input,
          output: checked.data,
        }
      : checked.data;
    const stored = capOutput(result, config.toolOutputCapChars);
    if (execution.riskClass !== "SENSITIVE_READ") return { to: "SUCCEEDED", result: stored };
    // The value goes to the model and the requester (from the stored row); the event log,
    // which others may come to see, only ever gets it hidden.
    const values = sensitiveValuesOf(tool, checked.data);
    for (const value of values) options.released.add(value);
    return {
      to: "SUCCEEDED",
      result: stored,
      event: {
        type: "tool-call-updated",
        stepIndex: options.stepIndex,
        toolCallId: call.id,
        status: "SUCCEEDED",
        // Masked before it is capped: a value cut at the cap would no longer be found.
        result: capOutput(maskDeep(result, values), config.toolOutputCapChars),
      },
    };
  } catch (error) {
    const interrupted = options.signal.aborted || timedOut || error instanceof ToolOutcomeUnknownError;
    if (interrupted && execution.riskClass !== "READ") {
      // A write that was cut off may already have happened: say so instead of claiming
      // it failed, so nobody (the model included) retries it blindly.
      return {
        to: "UNKNOWN_OUTCOME",
        error: options.signal.aborted
          ? "The run was stopped while this call was running; it may have taken effect."
          : error instanceof ToolOutcomeUnknownError
            ? `${error.message}; it may have taken effect.`
            : `${tool.name} did not answer within ${config.toolTimeoutMs} ms; it may have taken effect.`,
      };
    }
    if (options.signal.aborted) return { to: "CANCELLED", error: "Cancelled: the run was stopped." };
    return { to: "FAILED", error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onRunAbort);
  }
}
