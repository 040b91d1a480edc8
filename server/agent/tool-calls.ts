/**
 * Settles the tool calls of one step: validates, classifies and decides each, runs the
 * allowed ones in parallel (bounded, each with its own timeout), parks the ones that
 * need a human, and turns outcomes into tool results for the model. Every transition is
 * conditional in the database, so a call runs at most once even if two workers race.
 */
import type { ToolResultPart } from "ai";
import type { ToolCallState } from "../db/steps";
import { readToolCalls, transitionToolCall } from "../db/steps";
import { decide } from "../policy/decide";
import { EMPTY_POLICY } from "../policy/types";
import type { RiskClass } from "../shared/risk";
import type { ToolCallStatus } from "../shared/run-events";
import type { AnyTool, ToolActor } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";

export interface SettleOptions {
  runId: string;
  workerId: string;
  stepId: string;
  stepIndex: number;
  actor: ToolActor;
  signal: AbortSignal;
  deps: EngineDependencies;
}

export interface SettleResult {
  suspended: boolean;
  results: ToolResultPart[];
}

const TERMINAL: ReadonlySet<ToolCallStatus> = new Set([
  "SUCCEEDED",
  "FAILED",
  "REFUSED",
  "CANCELLED",
  "UNKNOWN_OUTCOME",
]);

type Plan =
  | { kind: "run"; call: ToolCallState; tool: AnyTool; input: unknown; riskClass: RiskClass }
  | { kind: "refuse"; call: ToolCallState; reason: string; riskClass?: RiskClass }
  | { kind: "await"; call: ToolCallState; riskClass: RiskClass }
  | { kind: "unknown-outcome"; call: ToolCallState }
  | { kind: "none"; call: ToolCallState };

function formatIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join(".") : "(arguments)"}: ${issue.message}`)
    .join("; ");
}

async function plan(call: ToolCallState, options: SettleOptions): Promise<Plan> {
  const status = call.status as ToolCallStatus;
  if (TERMINAL.has(status) || status === "AWAITING_APPROVAL") return { kind: "none", call };
  const tool = options.deps.tools.get(call.toolName);
  if (!tool) {
    const available = options.deps.tools
      .list()
      .map((candidate) => candidate.name)
      .join(", ");
    return {
      kind: "refuse",
      call,
      reason: `Unknown tool "${call.toolName}". Available tools: ${available || "none"}.`,
    };
  }
  const parsed = tool.input.safeParse(call.args);
  if (!parsed.success) {
    return { kind: "refuse", call, reason: `Invalid arguments for ${tool.name}: ${formatIssues(parsed.error)}` };
  }
  let riskClass: RiskClass;
  try {
    riskClass = tool.classify ? await tool.classify(parsed.data) : tool.risk;
  } catch (error) {
    // A classifier that cannot decide fails closed.
    return {
      kind: "refuse",
      call,
      reason: `Could not classify the call: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (status === "RUNNING") {
    // The worker that started this call died before recording its outcome.
    return riskClass === "READ" || tool.idempotent
      ? { kind: "run", call, tool, input: parsed.data, riskClass }
      : { kind: "unknown-outcome", call };
  }
  const decision = decide(
    { toolName: tool.name, tool: { defaultRisk: tool.risk, classifiedRisk: riskClass }, args: parsed.data, facts: {}, actor: options.actor },
    EMPTY_POLICY,
  );
  if (decision.decision === "DENY")
    return { kind: "refuse", call, reason: `Denied by policy: ${decision.reasons.join("; ")}`, riskClass };
  if (decision.decision === "REQUIRE_APPROVAL" && status !== "APPROVED") return { kind: "await", call, riskClass };
  return { kind: "run", call, tool, input: parsed.data, riskClass };
}

function capOutput(value: unknown, capChars: number): unknown {
  const json = JSON.stringify(value) ?? "null";
  if (json.length <= capChars) return value;
  return { truncated: true, originalChars: json.length, preview: json.slice(0, capChars) };
}

async function execute(step: Extract<Plan, { kind: "run" }>, options: SettleOptions): Promise<void> {
  const { call, tool } = step;
  const { config, logger } = options.deps;
  const base = { runId: options.runId, workerId: options.workerId, toolCallId: call.id, stepIndex: options.stepIndex };
  const started = await transitionToolCall({
    ...base,
    from: call.status === "RUNNING" ? ["RUNNING"] : ["PENDING", "APPROVED"],
    to: "RUNNING",
    riskClass: step.riskClass,
    ...(call.status === "RUNNING" ? { expectedAttempts: call.attempts } : {}),
  });
  if (!started) return; // someone else moved it on; its outcome is read back afterwards

  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new Error(`${tool.name} timed out after ${config.toolTimeoutMs} ms`)),
    config.toolTimeoutMs,
  );
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  const context = {
    signal,
    actor: options.actor,
    runId: options.runId,
    toolCallId: call.id,
    idempotencyKey: call.idempotencyKey,
    logger: logger.child({ runId: options.runId, toolCallId: call.id, tool: tool.name }),
  };
  try {
    const output = await new Promise<unknown>((resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      tool.execute(step.input, context).then(resolve, reject);
    });
    const checked = tool.output.safeParse(output);
    if (!checked.success) {
      await transitionToolCall({
        ...base,
        from: ["RUNNING"],
        to: "FAILED",
        error: `${tool.name} returned invalid output: ${formatIssues(checked.error)}`,
      });
      return;
    }
    await transitionToolCall({
      ...base,
      from: ["RUNNING"],
      to: "SUCCEEDED",
      result: capOutput(checked.data, config.toolOutputCapChars),
    });
  } catch (error) {
    if (options.signal.aborted) {
      await transitionToolCall({
        ...base,
        from: ["RUNNING"],
        to: "CANCELLED",
        error: "Cancelled: the run was stopped.",
      });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    await transitionToolCall({ ...base, from: ["RUNNING"], to: "FAILED", error: message });
  } finally {
    clearTimeout(timer);
  }
}

async function runBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

const OUTCOME_TEXT: Partial<Record<ToolCallStatus, (call: ToolCallState) => string>> = {
  FAILED: (call) => `Error: ${call.error ?? "the tool failed"}`,
  REFUSED: (call) => `Refused: ${call.error ?? "not allowed"}`,
  CANCELLED: () => "Cancelled: the run was stopped before this call finished.",
  UNKNOWN_OUTCOME: () =>
    "Outcome unknown: the worker stopped while this call was running and it was not retried automatically. A human must check what happened before trying again.",
};

export function toToolResult(call: ToolCallState): ToolResultPart {
  const status = call.status as ToolCallStatus;
  const describe = OUTCOME_TEXT[status];
  return {
    type: "tool-result",
    toolCallId: call.modelCallId,
    toolName: call.toolName,
    output: describe
      ? { type: "error-text", value: describe(call) }
      : { type: "json", value: (call.result ?? null) as never },
  };
}

export async function settleToolCalls(calls: ToolCallState[], options: SettleOptions): Promise<SettleResult> {
  const base = { runId: options.runId, workerId: options.workerId, stepIndex: options.stepIndex };
  const plans = await Promise.all(calls.map((call) => plan(call, options)));
  for (const step of plans) {
    if (step.kind === "refuse") {
      await transitionToolCall({
        ...base,
        toolCallId: step.call.id,
        from: ["PENDING", "APPROVED", "RUNNING"],
        to: "REFUSED",
        error: step.reason,
        riskClass: step.riskClass,
      });
    } else if (step.kind === "await") {
      await transitionToolCall({
        ...base,
        toolCallId: step.call.id,
        from: ["PENDING"],
        to: "AWAITING_APPROVAL",
        riskClass: step.riskClass,
      });
    } else if (step.kind === "unknown-outcome") {
      await transitionToolCall({
        ...base,
        toolCallId: step.call.id,
        from: ["RUNNING"],
        to: "UNKNOWN_OUTCOME",
        expectedAttempts: step.call.attempts,
        error: "The worker stopped while this call was running.",
      });
    }
  }
  const runnable = plans.filter((step): step is Extract<Plan, { kind: "run" }> => step.kind === "run");
  await runBounded(runnable, options.deps.config.toolConcurrency, (step) => execute(step, options));

  const settled = await readToolCalls(options.stepId);
  const suspended = settled.some((call) => !TERMINAL.has(call.status as ToolCallStatus));
  return { suspended, results: suspended ? [] : settled.map(toToolResult) };
}
