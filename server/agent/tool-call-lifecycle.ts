/**
 * The lifecycle of one tool call, as data: its states (the ToolCall row's status), the
 * transitions between them and who makes each, which transition the engine takes next
 * for a call in a given state under a given policy decision, how an execution's ending
 * maps to a status, an audit action and a run event, and the one bound on how many
 * calls run at once. Both of the engine's paths drive it: the fast path (step-commit.ts)
 * when it commits a model step's new calls and records their outcomes, the slow path
 * (tool-calls.ts) when it settles the calls of a resumed step one transaction at a time.
 *
 * In short (TOOL_CALL_TRANSITIONS below is the whole of it):
 *   PENDING (proposed)  → RUNNING (allowed) · AWAITING_APPROVAL (needs a human) · REFUSED (denied, invalid)
 *   AWAITING_APPROVAL   → APPROVED · REFUSED (rejected, expired, withdrawn) · PENDING (request voided)
 *   APPROVED            → RUNNING (approval consumed) · PENDING (approval no longer binds) · REFUSED
 *   RUNNING             → SUCCEEDED · FAILED · CANCELLED · UNKNOWN_OUTCOME · REFUSED
 *                         · RUNNING again (a call safe to repeat, found RUNNING after a crash)
 *   PENDING, AWAITING_APPROVAL, APPROVED → CANCELLED (the run is cancelled)
 *
 * A state no transition leaves is terminal. The database enforces each transition with
 * a conditional update on `from` (server/db/steps.ts, server/db/run-write.ts), so two
 * workers (or a replay) cannot both apply it.
 */
import type { ToolResultPart } from "ai";
import { isRejectedCallResult } from "../approvals/rejection-notice";
import type { AuditEventInput } from "../audit/record-audit-event";
import type { ToolCallState } from "../db/steps";
import type { Decision } from "../shared/risk";
import { type RunEventData, TOOL_CALL_STATUSES, type ToolCallStatus } from "../shared/run-events";
import { maskDeep } from "../shared/sensitive-values";

interface Transition {
  from: readonly ToolCallStatus[];
  to: ToolCallStatus;
  /** Who makes it: the engine holding the run's lease, or a person (server/approvals, server/db/runs.ts). */
  by: "engine" | "person";
  /** The audit action the engine records with it (people's transitions audit their own decision). */
  audit: string | null;
}

export const TOOL_CALL_TRANSITIONS = {
  // The engine decides a proposed call. The fast path stores a new call already in the
  // state after "start" or "refuse"; a call that needs a human stays PENDING until the
  // slow path asks (asking needs the tool's preview and an approval request).
  start: { from: ["PENDING"], to: "RUNNING", by: "engine", audit: "tool-call.started" },
  refuse: { from: ["PENDING", "APPROVED", "RUNNING"], to: "REFUSED", by: "engine", audit: "tool-call.refused" },
  "ask-approval": {
    from: ["PENDING"],
    to: "AWAITING_APPROVAL",
    by: "engine",
    audit: "tool-call.approval-required",
  },
  // People decide an awaiting call: a reviewer approves; a rejection, an expiry or the
  // requester's withdrawal closes the request; a request gone stale is voided and asked again.
  approve: { from: ["AWAITING_APPROVAL"], to: "APPROVED", by: "person", audit: null },
  "close-request": { from: ["AWAITING_APPROVAL"], to: "REFUSED", by: "person", audit: null },
  "void-request": { from: ["AWAITING_APPROVAL"], to: "PENDING", by: "person", audit: null },
  // The engine resumes an approved call: it consumes the approval as it starts it, or
  // finds the approval no longer binds and sends the call back to be decided afresh.
  "start-approved": { from: ["APPROVED"], to: "RUNNING", by: "engine", audit: "tool-call.started" },
  "void-approval": { from: ["APPROVED"], to: "PENDING", by: "engine", audit: "tool-call.approval-voided" },
  // A call found RUNNING after its worker died: run again only if it is safe to repeat.
  retry: { from: ["RUNNING"], to: "RUNNING", by: "engine", audit: "tool-call.retried" },
  // An execution ends. A write cut off (or found cut off after a crash) may have taken
  // effect: its outcome is unknown, never FAILED, so nobody retries it blindly.
  succeed: { from: ["RUNNING"], to: "SUCCEEDED", by: "engine", audit: "tool-call.executed" },
  fail: { from: ["RUNNING"], to: "FAILED", by: "engine", audit: "tool-call.failed" },
  cancel: { from: ["RUNNING"], to: "CANCELLED", by: "engine", audit: "tool-call.cancelled" },
  "outcome-unknown": { from: ["RUNNING"], to: "UNKNOWN_OUTCOME", by: "engine", audit: "tool-call.unknown-outcome" },
  // The requester cancels the run while nothing of it runs.
  "cancel-run": { from: ["PENDING", "AWAITING_APPROVAL", "APPROVED"], to: "CANCELLED", by: "person", audit: null },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TOOL_CALL_TRANSITIONS;

/** The transitions the engine makes, with the audit action each records. */
export type EngineTransition = {
  [Name in TransitionName]: (typeof TOOL_CALL_TRANSITIONS)[Name]["by"] extends "engine" ? Name : never;
}[TransitionName];

export function transition(name: TransitionName): Transition {
  return TOOL_CALL_TRANSITIONS[name];
}

/** The state after `name` from `status`, or null: the transition does not leave that state. */
export function nextStatus(status: ToolCallStatus, name: TransitionName): ToolCallStatus | null {
  const { from, to } = transition(name);
  return from.includes(status) ? to : null;
}

const LEFT: ReadonlySet<ToolCallStatus> = new Set(
  Object.values(TOOL_CALL_TRANSITIONS).flatMap((each): readonly ToolCallStatus[] => each.from),
);

/** Terminal states: no transition leaves them (derived from the table, so it cannot drift). */
export const TERMINAL_TOOL_CALL_STATUSES: ReadonlySet<ToolCallStatus> = new Set(
  TOOL_CALL_STATUSES.filter((status) => !LEFT.has(status)),
);

export function isTerminal(status: ToolCallStatus): boolean {
  return TERMINAL_TOOL_CALL_STATUSES.has(status);
}

/** A call the engine has a move for: not terminal, and not waiting for a person. */
export function awaitsEngine(status: ToolCallStatus): boolean {
  return !isTerminal(status) && status !== "AWAITING_APPROVAL";
}

/** What the model (and the record) is told of a call policy denied. */
export function deniedByPolicy(reasons: readonly string[]): string {
  return `Denied by policy: ${reasons.join("; ")}`;
}

/** What the engine does next with a call, or null when the call is not the engine's to move. */
export type EngineMove = Extract<
  EngineTransition,
  "start" | "start-approved" | "retry" | "refuse" | "ask-approval" | "outcome-unknown"
>;

/**
 * The engine's next transition for a call in `status`, given policy's decision on it
 * (null: the call cannot be evaluated — unknown tool, invalid arguments) and, for a call
 * found RUNNING, whether running it again is safe (a read or an idempotent tool whose
 * approval, if any, still binds). Terminal calls and calls awaiting a person: null.
 */
export function engineMove(status: ToolCallStatus, decision: Decision | null, repeatable = false): EngineMove | null {
  if (!awaitsEngine(status)) return null;
  if (decision === null) return "refuse";
  if (status === "RUNNING") return repeatable ? "retry" : "outcome-unknown";
  if (decision === "DENY") return "refuse";
  // An approval, once given, is what the call runs under; it is checked as it is consumed.
  if (status === "APPROVED") return "start-approved";
  return decision === "ALLOW" ? "start" : "ask-approval";
}

/** How an execution ended: the status it leaves the call in. */
export type Ending = Extract<ToolCallStatus, "SUCCEEDED" | "FAILED" | "CANCELLED" | "UNKNOWN_OUTCOME">;

const ENDING_TRANSITION = {
  SUCCEEDED: "succeed",
  FAILED: "fail",
  CANCELLED: "cancel",
  UNKNOWN_OUTCOME: "outcome-unknown",
} as const satisfies Record<Ending, EngineTransition>;

export function endingTransition(ending: Ending): EngineTransition {
  return ENDING_TRANSITION[ending];
}

/** How an execution ended, as runTool reports it; nothing is written yet. */
export interface ToolOutcome {
  to: Ending;
  result?: unknown;
  error?: string;
  /** Replaces the default event (a sensitive result is reported hidden). */
  event?: RunEventData;
}

/**
 * The run event of a call's transition (the outcome's own, or the plain status update),
 * with the values released in its conversation hidden: others may come to see events.
 */
export function transitionEvent(
  at: { stepIndex: number; toolCallId: string },
  change: { to: ToolCallStatus; result?: unknown; error?: string | null; event?: RunEventData },
  released: ReadonlySet<string>,
): RunEventData {
  return maskDeep(
    change.event ?? {
      type: "tool-call-updated",
      stepIndex: at.stepIndex,
      toolCallId: at.toolCallId,
      status: change.to,
      ...(change.result !== undefined ? { result: change.result } : {}),
      ...(change.error != null ? { error: change.error } : {}),
    },
    released,
  );
}

/** The audit event of an engine transition, its data hiding the values released in the conversation. */
export function transitionAudit(options: {
  name: EngineTransition;
  actorId: string;
  runId: string;
  toolCallId: string;
  data: Record<string, unknown>;
  released: ReadonlySet<string>;
}): AuditEventInput {
  return {
    actorId: options.actorId,
    action: transition(options.name).audit as string,
    targetType: "tool-call",
    targetId: options.toolCallId,
    data: maskDeep({ runId: options.runId, ...options.data }, options.released),
  };
}

const OUTCOME_TEXT: Partial<Record<ToolCallStatus, (call: { error: string | null }) => string>> = {
  FAILED: (call) => `Error: ${call.error ?? "the tool failed"}`,
  REFUSED: (call) => `Refused: ${call.error ?? "not allowed"}`,
  CANCELLED: () => "Cancelled: the run was stopped before this call finished.",
  UNKNOWN_OUTCOME: () =>
    "Outcome unknown: the worker stopped while this call was running and it was not retried automatically. A human must check what happened before trying again.",
};

/**
 * What the model is told of a settled call. A call a reviewer rejected (or that repeats
 * one rejected earlier in the conversation) is told as a plain result, not an error: it
 * was decided, and the notice says not to retry it.
 */
export function toToolResult(
  call: Pick<ToolCallState, "modelCallId" | "toolName" | "status" | "result" | "error">,
): ToolResultPart {
  if (call.status === "REFUSED" && isRejectedCallResult(call.result) && call.error) {
    return {
      type: "tool-result",
      toolCallId: call.modelCallId,
      toolName: call.toolName,
      output: { type: "text", value: call.error },
    };
  }
  const describe = OUTCOME_TEXT[call.status];
  return {
    type: "tool-result",
    toolCallId: call.modelCallId,
    toolName: call.toolName,
    output: describe
      ? { type: "error-text", value: describe(call) }
      : { type: "json", value: (call.result ?? null) as never },
  };
}

/** Runs `work` for every item, at most `limit` at a time (the engine's one bound on parallel calls). */
export async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(lanes);
}
