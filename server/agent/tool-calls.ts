/**
 * Settles the tool calls of one step. Each call is validated, classified and decided by
 * policy; allowed calls run in parallel (bounded, each with its own timeout), calls that
 * need a human get an approval request and park, denied ones are refused. An approved
 * call is evaluated again right before it runs and executes only if its approval still
 * binds to exactly what will run; consuming the approval and starting the call are one
 * conditional transaction, so it runs at most once even if two workers race. Every
 * decision and execution is audited in the same transaction as its state change.
 */
import type { ToolResultPart } from "ai";
import { bindingHash } from "../approvals/binding";
import { consumeApproval, voidUnusedApproval } from "../approvals/consume-approval";
import { loadPolicy, type PolicyInForce } from "../approvals/current-policy";
import { evaluateCall, formatIssues } from "../approvals/evaluate-call";
import { sensitiveValuesOf } from "../approvals/released-values";
import { announceApprovalRequest, createApprovalRequest } from "../approvals/request-approval";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { ApprovalRequestRow } from "../db/approvals";
import { findApprovalRequestByToolCall } from "../db/approvals";
import { readToolCalls, type ToolCallState, type ToolCallTransition, updateToolCall, withLease } from "../db/steps";
import type { Transaction } from "../db/transaction";
import type { RiskClass } from "../shared/risk";
import type { RunEventData, ToolCallStatus } from "../shared/run-events";
import { maskDeep } from "../shared/sensitive-values";
import { replaceUnstorableJson, replaceUnstorableText } from "../shared/text";
import type { AnyTool, ToolActor, ToolContext, ToolPreview } from "../tools/define-tool";
import type { EngineDependencies } from "./engine-config";
import { traceToolCall } from "./run-tracing";

export interface SettleOptions {
  runId: string;
  workerId: string;
  conversationId: string;
  stepId: string;
  stepIndex: number;
  actor: ToolActor;
  signal: AbortSignal;
  deps: EngineDependencies;
  /** Values released by sensitive reads; this settle adds to it, the engine hides them from events. */
  released: Set<string>;
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
  | {
      kind: "run";
      call: ToolCallState;
      tool: AnyTool;
      input: unknown;
      riskClass: RiskClass;
      approved: boolean;
      /** The decision just made grants network access (a confirmed rule). */
      network: boolean;
      /** A reviewer changed the arguments; the model is told along with the result. */
      edited: boolean;
      reasons: string[];
    }
  | { kind: "refuse"; call: ToolCallState; reason: string; riskClass?: RiskClass }
  | {
      kind: "await";
      call: ToolCallState;
      tool: AnyTool;
      input: unknown;
      riskClass: RiskClass;
      evaluation: Extract<Awaited<ReturnType<typeof evaluateCall>>, { ok: true }>;
    }
  | { kind: "unknown-outcome"; call: ToolCallState }
  | { kind: "none"; call: ToolCallState };

function toolContext(
  options: Pick<SettleOptions, "runId" | "actor" | "deps">,
  call: ToolCallState,
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

async function plan(call: ToolCallState, options: SettleOptions, policy: PolicyInForce): Promise<Plan> {
  const status = call.status as ToolCallStatus;
  if (TERMINAL.has(status) || status === "AWAITING_APPROVAL") return { kind: "none", call };
  const tool = options.deps.tools.get(call.toolName);
  let approval: ApprovalRequestRow | null = null;
  if (status === "APPROVED" || status === "RUNNING") {
    // Only the approval this call is running (or about to run) under counts: a voided
    // earlier request's edited arguments are not the ones to run.
    const latest = await findApprovalRequestByToolCall(call.id);
    if (latest && latest.status === (status === "APPROVED" ? "APPROVED" : "CONSUMED")) approval = latest;
  }
  // An approved edit runs with the reviewer's arguments, and is evaluated as such.
  const args = approval?.editedArgs ?? call.args;
  const edited = approval?.editedArgs != null;
  const evaluation = await evaluateCall({
    toolName: call.toolName,
    tool,
    args,
    actor: options.actor,
    policy,
    availableTools: () => options.deps.tools.list().map((candidate) => candidate.name),
  });
  if (!evaluation.ok || !tool)
    return { kind: "refuse", call, reason: evaluation.ok ? "Unknown tool." : evaluation.reason };
  const { decision, riskClass, input } = evaluation;
  const { network } = decision;
  if (status === "RUNNING") {
    // The worker that started this call died before recording its outcome: only a call
    // that is safe to repeat runs again; anything else is never re-executed blindly. An
    // approved call repeats only what its approval was bound to.
    const rebinds =
      approval === null ||
      bindingHash({
        toolName: tool.name,
        args: input,
        toolVersion: tool.version,
        policyVersion: approval.policyVersion,
      }) === approval.bindingHash;
    return rebinds && (riskClass === "READ" || tool.idempotent)
      ? {
          kind: "run",
          call,
          tool,
          input,
          riskClass,
          approved: approval !== null,
          network,
          edited,
          reasons: decision.reasons,
        }
      : { kind: "unknown-outcome", call };
  }
  if (decision.decision === "DENY")
    return { kind: "refuse", call, reason: `Denied by policy: ${decision.reasons.join("; ")}`, riskClass };
  if (decision.decision === "ALLOW" && status !== "APPROVED") {
    return {
      kind: "run",
      call,
      tool,
      input,
      riskClass,
      approved: false,
      network,
      edited: false,
      reasons: decision.reasons,
    };
  }
  if (status === "APPROVED")
    return { kind: "run", call, tool, input, riskClass, approved: true, network, edited, reasons: decision.reasons };
  return { kind: "await", call, tool, input, riskClass, evaluation };
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

async function audited(
  tx: Transaction,
  options: SettleOptions,
  /** Without its event, which is built here (outcomeEvent); an outcome may bring its own. */
  transition: Omit<ToolCallTransition, "runId" | "stepIndex" | "event"> & { event?: RunEventData },
  action: string,
  data: Record<string, unknown>,
) {
  // The row keeps what the requester and the model see; its event and audit data, which
  // others may come to see, hide the values released in this conversation.
  const event = outcomeEvent(
    { stepIndex: options.stepIndex, toolCallId: transition.toolCallId },
    transition,
    options.released,
  );
  const moved = await updateToolCall(tx, {
    ...transition,
    runId: options.runId,
    stepIndex: options.stepIndex,
    event,
  });
  if (moved) {
    await recordAuditEvent(tx, {
      actorId: options.actor.id,
      action,
      targetType: "tool-call",
      targetId: transition.toolCallId,
      data: maskDeep({ runId: options.runId, ...data }, options.released),
    });
  }
  return moved;
}

/** Starts a call: consumes its approval when it has one, or finds the approval void. */
async function start(
  step: Extract<Plan, { kind: "run" }>,
  options: SettleOptions,
  policy: PolicyInForce,
): Promise<"started" | "voided" | "lost"> {
  const { call, tool } = step;
  return withLease(options.runId, options.workerId, async (tx) => {
    if (step.approved && call.status === "APPROVED") {
      const consumption = await consumeApproval(tx, {
        toolCallId: call.id,
        toolName: tool.name,
        toolVersion: tool.version,
        args: step.input,
        policyVersion: policy.version,
        workerId: options.workerId,
      });
      if (!consumption.ok) {
        // Back to PENDING: evaluated again under what is in force, and asked anew if needed.
        await audited(
          tx,
          options,
          { toolCallId: call.id, from: ["APPROVED"], to: "PENDING" },
          "tool-call.approval-voided",
          { reason: consumption.reason },
        );
        return "voided";
      }
    }
    const moved = await audited(
      tx,
      options,
      {
        toolCallId: call.id,
        from: call.status === "RUNNING" ? ["RUNNING"] : ["PENDING", "APPROVED"],
        to: "RUNNING",
        riskClass: step.riskClass,
        ...(call.status === "RUNNING" ? { expectedAttempts: call.attempts } : {}),
      },
      call.status === "RUNNING" ? "tool-call.retried" : "tool-call.started",
      { toolName: tool.name, riskClass: step.riskClass, approved: step.approved, reasons: step.reasons },
    );
    return moved ? "started" : "lost";
  });
}

/**
 * The run event of a call's transition (the outcome's own, or the plain status update),
 * with the values released in its conversation hidden: others may come to see events.
 * Both the slow path (audited) and the fast path (runStartedCalls) write it.
 */
export function outcomeEvent(
  at: { stepIndex: number; toolCallId: string },
  outcome: { to: ToolCallStatus; result?: unknown; error?: string; event?: RunEventData },
  released: ReadonlySet<string>,
): RunEventData {
  return maskDeep(
    outcome.event ?? {
      type: "tool-call-updated",
      stepIndex: at.stepIndex,
      toolCallId: at.toolCallId,
      status: outcome.to,
      ...(outcome.result !== undefined ? { result: outcome.result } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    },
    released,
  );
}

/** How long an aborted tool may take to stop before its outcome is reported anyway. */
export const ABORT_GRACE_MS = 3_000;

export interface ToolOutcome {
  to: ToolCallStatus;
  action: string;
  result?: unknown;
  error?: string;
  /** Replaces the default event (a sensitive result is reported hidden). */
  event?: RunEventData;
}

/**
 * Runs a started call and says how it ended, without writing anything: the caller
 * records the outcome (per call on the slow path, batched on the engine's fast path).
 */
export async function runTool(
  step: {
    call: ToolCallState;
    tool: AnyTool;
    input: unknown;
    riskClass: RiskClass;
    edited: boolean;
    /** A reviewer's approval was consumed to start it (the slow path); the fast path runs unreviewed calls. */
    approved?: boolean;
    /** Policy's decision as the call starts grants network access. */
    network: boolean;
  },
  options: Pick<SettleOptions, "runId" | "actor" | "signal" | "deps" | "released" | "stepIndex">,
): Promise<ToolOutcome> {
  const { call, tool } = step;
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
          step.input,
          toolContext(options, call, tool, signal, {
            riskClass: step.riskClass,
            approved: step.approved ?? false,
            network: step.network,
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
        action: "tool-call.failed",
        error: `${tool.name} returned invalid output: ${formatIssues(checked.error)}`,
      };
    }
    const result = step.edited
      ? {
          note: "A reviewer edited the arguments before approving; this is the result of the edited call.",
          arguments: step.input,
          output: checked.data,
        }
      : checked.data;
    const stored = capOutput(result, config.toolOutputCapChars);
    if (step.riskClass !== "SENSITIVE_READ") return { to: "SUCCEEDED", action: "tool-call.executed", result: stored };
    // The value goes to the model and the requester (from the stored row); the event log,
    // which others may come to see, only ever gets it hidden.
    const values = sensitiveValuesOf(tool, checked.data);
    for (const value of values) options.released.add(value);
    return {
      to: "SUCCEEDED",
      action: "tool-call.executed",
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
    const interrupted = options.signal.aborted || timedOut;
    if (interrupted && step.riskClass !== "READ") {
      // A write that was cut off may already have happened: say so instead of claiming
      // it failed, so nobody (the model included) retries it blindly.
      return {
        to: "UNKNOWN_OUTCOME",
        action: "tool-call.unknown-outcome",
        error: options.signal.aborted
          ? "The run was stopped while this call was running; it may have taken effect."
          : `${tool.name} did not answer within ${config.toolTimeoutMs} ms; it may have taken effect.`,
      };
    }
    if (options.signal.aborted)
      return { to: "CANCELLED", action: "tool-call.cancelled", error: "Cancelled: the run was stopped." };
    return { to: "FAILED", action: "tool-call.failed", error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onRunAbort);
  }
}

async function execute(
  step: Extract<Plan, { kind: "run" }>,
  options: SettleOptions,
  policy: PolicyInForce,
): Promise<"done" | "voided"> {
  const started = await start(step, options, policy);
  if (started === "voided") return "voided";
  if (started === "lost") return "done"; // someone else moved it on; its outcome is read back afterwards
  const outcome = await traceToolCall({ ...step, toolCallId: step.call.id, toolName: step.tool.name }, () =>
    runTool(step, options),
  );
  await withLease(options.runId, options.workerId, (tx) =>
    audited(
      tx,
      options,
      {
        toolCallId: step.call.id,
        from: ["RUNNING"],
        to: outcome.to,
        ...(outcome.result !== undefined ? { result: outcome.result } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.event ? { event: outcome.event } : {}),
      },
      outcome.action,
      { toolName: step.tool.name, ...(outcome.error ? { error: outcome.error } : {}) },
    ),
  );
  return "done";
}

async function park(
  step: Extract<Plan, { kind: "await" }>,
  options: SettleOptions,
  policy: PolicyInForce,
): Promise<void> {
  const { call, tool } = step;
  let preview: ToolPreview | null = null;
  if (tool.preview) {
    try {
      preview = await tool.preview(
        step.input,
        // What the reviewer is shown is what the call would get: the decision's network grant.
        toolContext(options, call, tool, options.signal, {
          riskClass: step.riskClass,
          approved: false,
          network: step.evaluation.decision.network,
        }),
      );
    } catch (error) {
      preview = { summary: `No preview: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  const request = await withLease(options.runId, options.workerId, async (tx) => {
    const moved = await audited(
      tx,
      options,
      { toolCallId: call.id, from: ["PENDING"], to: "AWAITING_APPROVAL", riskClass: step.riskClass },
      "tool-call.approval-required",
      { toolName: tool.name, riskClass: step.riskClass, reasons: step.evaluation.decision.reasons },
    );
    if (!moved) return null;
    return createApprovalRequest(tx, {
      toolCallId: call.id,
      runId: options.runId,
      conversationId: options.conversationId,
      requesterId: options.actor.id,
      toolName: tool.name,
      toolVersion: tool.version,
      args: step.input,
      riskClass: step.riskClass,
      decision: step.evaluation.decision,
      preview,
      expiryMinutes: policy.defaultExpiryMinutes,
    });
  });
  if (request) void announceApprovalRequest(request, options.released).catch(() => {});
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
  const policy = await loadPolicy();
  let current = calls;
  // A voided approval sends its call back to PENDING; one more pass evaluates it afresh.
  for (let pass = 0; pass < 2; pass++) {
    const plans = await Promise.all(current.map((call) => plan(call, options, policy)));
    for (const step of plans) {
      if (step.kind === "refuse") {
        await withLease(options.runId, options.workerId, async (tx) => {
          const moved = await audited(
            tx,
            options,
            {
              toolCallId: step.call.id,
              from: ["PENDING", "APPROVED", "RUNNING"],
              to: "REFUSED",
              error: step.reason,
              ...(step.riskClass ? { riskClass: step.riskClass } : {}),
            },
            "tool-call.refused",
            { toolName: step.call.toolName, reason: step.reason },
          );
          if (moved && step.call.status === "APPROVED") {
            await voidUnusedApproval(tx, { toolCallId: step.call.id, why: `the call was refused: ${step.reason}` });
          }
        });
      } else if (step.kind === "await") {
        await park(step, options, policy);
      } else if (step.kind === "unknown-outcome") {
        await withLease(options.runId, options.workerId, (tx) =>
          audited(
            tx,
            options,
            {
              toolCallId: step.call.id,
              from: ["RUNNING"],
              to: "UNKNOWN_OUTCOME",
              expectedAttempts: step.call.attempts,
              error: "The worker stopped while this call was running.",
            },
            "tool-call.unknown-outcome",
            { toolName: step.call.toolName },
          ),
        );
      }
    }
    const runnable = plans.filter((step): step is Extract<Plan, { kind: "run" }> => step.kind === "run");
    let voided = false;
    await runBounded(runnable, options.deps.config.toolConcurrency, async (step) => {
      if ((await execute(step, options, policy)) === "voided") voided = true;
    });
    current = await readToolCalls(options.stepId);
    if (!voided) break;
  }
  const suspended = current.some((call) => !TERMINAL.has(call.status as ToolCallStatus));
  return { suspended, results: suspended ? [] : current.map(toToolResult) };
}
