/**
 * What a run emits. Stored as RunEvent rows with a per-run sequence number and streamed
 * to browsers in that order; the UI folds them into the live view of a run.
 */
export const RUN_STATUSES = ["QUEUED", "RUNNING", "AWAITING_APPROVAL", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

export const TOOL_CALL_STATUSES = [
  "PENDING",
  "AWAITING_APPROVAL",
  "APPROVED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "REFUSED",
  "CANCELLED",
  "UNKNOWN_OUTCOME",
] as const;
export type ToolCallStatus = (typeof TOOL_CALL_STATUSES)[number];

export type RunEventData =
  | { type: "run-status"; status: RunStatus; error?: string }
  | { type: "step-started"; stepIndex: number; modelId: string }
  /**
   * The step's model call is repeated after an interruption (its worker stopped or died).
   * What the step showed stays; the repeated call's text continues it where it stood.
   * `replaced`: the repeated call said something else, so its text starts afresh and
   * what was shown before stays visible as interrupted text.
   */
  | { type: "step-resumed"; stepIndex: number; modelId: string; replaced?: boolean }
  /**
   * `at`: where in the step's text this delta starts (the text's length before it). A
   * delta that repeats text already there adds only what goes past it (see step-text.ts).
   */
  | { type: "text-delta"; stepIndex: number; text: string; at?: number }
  | {
      type: "step-finished";
      stepIndex: number;
      finishReason: string;
      inputTokens?: number;
      outputTokens?: number;
      latencyMs: number;
    }
  | {
      type: "tool-call-proposed";
      stepIndex: number;
      toolCallId: string;
      toolName: string;
      args: unknown;
      riskClass?: string;
    }
  | {
      type: "tool-call-updated";
      stepIndex: number;
      toolCallId: string;
      status: ToolCallStatus;
      result?: unknown;
      error?: string;
    };

export type RunEventType = RunEventData["type"];

export interface RunEventRecord {
  runId: string;
  seq: number;
  data: RunEventData;
}
