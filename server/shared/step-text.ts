/**
 * The text a step shows, folded from its run events the way every viewer folds them: a
 * step-started starts it over (a retried call within one attempt), a step-resumed keeps
 * it (the call is repeated after an interruption and continues it), a replacing
 * step-resumed moves it aside as interrupted text and starts afresh. A text delta that
 * says where it starts (`at`) and overlaps what the step already holds adds only the part
 * past it: a resumed call whose writer read the step's text before an earlier write of
 * the same lease committed repeats that write's text, and it must not show twice.
 */
import type { RunEventData } from "./run-events";

export interface StepText {
  text: string;
  /** Shown before an interruption and not repeated by the call that replaced it. */
  interruptedText: string;
  resumed: boolean;
}

export const EMPTY_STEP_TEXT: StepText = { text: "", interruptedText: "", resumed: false };

/** Folds one event into a step's text; events of other steps and kinds leave it as it is. */
export function foldStepText(current: StepText, event: RunEventData, stepIndex: number): StepText {
  if (!("stepIndex" in event) || event.stepIndex !== stepIndex) return current;
  switch (event.type) {
    case "step-started":
      return { ...current, text: "" };
    case "step-resumed":
      return event.replaced
        ? { text: "", interruptedText: joinInterrupted(current.interruptedText, current.text), resumed: true }
        : { ...current, resumed: true };
    case "text-delta":
      return { ...current, text: appendDelta(current.text, event) };
    default:
      return current;
  }
}

/** The step's text with a delta appended; what the delta repeats of it (by `at`) is skipped. */
export function appendDelta(text: string, delta: { text: string; at?: number }): string {
  if (delta.at === undefined || delta.at >= text.length) return text + delta.text;
  return text + delta.text.slice(text.length - delta.at);
}

function joinInterrupted(before: string, text: string): string {
  if (!before) return text;
  return text ? `${before}\n\n${text}` : before;
}

export function stepTextOf(events: readonly RunEventData[], stepIndex: number): StepText {
  return events.reduce((current, event) => foldStepText(current, event, stepIndex), EMPTY_STEP_TEXT);
}
