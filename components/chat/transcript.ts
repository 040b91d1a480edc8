/**
 * The chat as a list of display items, built the same way from stored messages and from
 * a live run's events, so a finished run and a streaming one look alike.
 */
import type { RunEventData, RunStatus, ToolCallStatus } from "@/server/shared/run-events";
import { appendDelta } from "@/server/shared/step-text";

export interface ToolCallView {
  /** Our id when known (live), else the model's id. */
  key: string;
  modelCallId?: string;
  toolName: string;
  args: unknown;
  status: ToolCallStatus;
  result?: unknown;
  error?: string;
  riskClass?: string | null;
  approvalId?: string;
}

export interface StepView {
  index: number;
  text: string;
  /** The step's model call was repeated after an interruption (its server stopped). */
  resumed?: boolean;
  /** Text shown before the interruption that the repeated call did not say again; kept visible. */
  interruptedText?: string;
  toolCalls: ToolCallView[];
  streaming: boolean;
}

export interface RunView {
  runId: string;
  status: RunStatus;
  error?: string | null;
  userText: string;
  steps: StepView[];
}

type Part =
  | { type: "text"; text: string }
  | { type: "tool-call"; toolCallId: string; toolName: string; input: unknown }
  | { type: "tool-result"; toolCallId: string; toolName: string; output: unknown };

export interface ChatMessage {
  id: string;
  runId: string | null;
  stepIndex: number | null;
  role: "USER" | "ASSISTANT" | "TOOL";
  parts: unknown;
}

export interface StoredToolCall {
  id: string;
  runId: string;
  modelCallId: string;
  toolName: string;
  status: ToolCallStatus;
  riskClass: string | null;
  error: string | null;
  result: unknown;
  approval?: { id: string; status: string; requiredApprovals: number } | null;
}

export interface StoredRun {
  id: string;
  status: RunStatus;
  error: string | null;
}

function partsOf(message: ChatMessage): Part[] {
  return Array.isArray(message.parts) ? (message.parts as Part[]) : [];
}

export function buildRunViews(messages: ChatMessage[], toolCalls: StoredToolCall[], runs: StoredRun[]): RunView[] {
  const callsByKey = new Map(toolCalls.map((call) => [`${call.runId}:${call.modelCallId}`, call]));
  const views = new Map<string, RunView>(
    runs.map((run) => [run.id, { runId: run.id, status: run.status, error: run.error, userText: "", steps: [] }]),
  );
  for (const message of messages) {
    const view = message.runId ? views.get(message.runId) : undefined;
    if (!view) continue;
    const parts = partsOf(message);
    if (message.role === "USER") {
      view.userText = parts.map((part) => (part.type === "text" ? part.text : "")).join("");
    } else if (message.role === "ASSISTANT") {
      view.steps.push({
        index: message.stepIndex ?? view.steps.length,
        text: parts.map((part) => (part.type === "text" ? part.text : "")).join(""),
        streaming: false,
        toolCalls: parts.flatMap((part) => {
          if (part.type !== "tool-call") return [];
          const stored = callsByKey.get(`${view.runId}:${part.toolCallId}`);
          return [
            {
              key: stored?.id ?? part.toolCallId,
              modelCallId: part.toolCallId,
              toolName: part.toolName,
              args: part.input,
              status: stored?.status ?? "PENDING",
              result: stored?.result ?? undefined,
              error: stored?.error ?? undefined,
              riskClass: stored?.riskClass,
              ...(stored?.approval ? { approvalId: stored.approval.id } : {}),
            },
          ];
        }),
      });
    }
  }
  return [...views.values()];
}

export function emptyLiveRun(runId: string, userText: string, status: RunStatus = "QUEUED"): RunView {
  return { runId, status, userText, steps: [] };
}

function withStep(view: RunView, index: number, update: (step: StepView) => StepView): RunView {
  const existing = view.steps.find((step) => step.index === index) ?? {
    index,
    text: "",
    toolCalls: [],
    streaming: true,
  };
  const next = update(existing);
  const steps = view.steps.filter((step) => step.index !== index);
  steps.push(next);
  steps.sort((a, b) => a.index - b.index);
  return { ...view, steps };
}

/** Folds one event into a live run view. Pure; events arrive in sequence order. */
export function applyRunEvent(view: RunView, event: RunEventData): RunView {
  switch (event.type) {
    case "run-status":
      return { ...view, status: event.status, error: event.error ?? null };
    case "step-started":
      // A step that starts again (a retried model call) replaces what it streamed before.
      return withStep(view, event.stepIndex, () => ({
        index: event.stepIndex,
        text: "",
        toolCalls: [],
        streaming: true,
      }));
    case "step-resumed":
      // What the viewer saw stays: the repeated call continues it, or replaces it with the
      // earlier text kept aside as interrupted.
      return withStep(view, event.stepIndex, (step) =>
        event.replaced
          ? {
              ...step,
              resumed: true,
              interruptedText: [step.interruptedText, step.text].filter(Boolean).join("\n\n"),
              text: "",
              streaming: true,
            }
          : { ...step, resumed: true, streaming: true },
      );
    case "text-delta":
      return withStep(view, event.stepIndex, (step) => ({ ...step, text: appendDelta(step.text, event) }));
    case "step-finished":
      return withStep(view, event.stepIndex, (step) => ({ ...step, streaming: false }));
    case "tool-call-proposed":
      return withStep(view, event.stepIndex, (step) => ({
        ...step,
        toolCalls: [
          ...step.toolCalls.filter((call) => call.key !== event.toolCallId),
          {
            key: event.toolCallId,
            toolName: event.toolName,
            args: event.args,
            status: "PENDING",
            riskClass: event.riskClass,
          },
        ],
      }));
    case "tool-call-updated":
      return withStep(view, event.stepIndex, (step) => ({
        ...step,
        toolCalls: step.toolCalls.map((call) =>
          call.key === event.toolCallId
            ? { ...call, status: event.status, result: event.result ?? call.result, error: event.error ?? call.error }
            : call,
        ),
      }));
  }
}
