/**
 * The text a step shows, folded from its run events the way every viewer folds them: a
 * step-started starts it over (a retried call within one attempt), a step-resumed keeps
 * it (the call is repeated after an interruption and continues it), a replacing
 * step-resumed moves it aside as interrupted text and starts afresh.
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
      return { ...current, text: current.text + event.text };
    default:
      return current;
  }
}

function joinInterrupted(before: string, text: string): string {
  if (!before) return text;
  return text ? `${before}\n\n${text}` : before;
}

export function stepTextOf(events: readonly RunEventData[], stepIndex: number): StepText {
  return events.reduce((current, event) => foldStepText(current, event, stepIndex), EMPTY_STEP_TEXT);
}
