/**
 * Resuming a step's stream after an interruption. A step whose worker stopped or died
 * mid-stream already showed its viewers some text (committed as text-delta events). The
 * model call is repeated, but viewers must not see that text vanish and stream again:
 * the repeated call is announced with step-resumed instead of step-started, its text is
 * held back while it repeats what was shown, and only what goes past it is written. A
 * call that says something else (a model that is not deterministic) replaces the text
 * with a replacing step-resumed: what was shown stays visible as interrupted text.
 *
 * Every delta written says where in the step's text it starts (`at`). What was shown is
 * read once, before the call; a write of the earlier call under the same lease can still
 * commit after that read (the chaos run's "Step 1 1 of 3"), and then the resumed text goes
 * past a shorter `shown` than viewers hold. The fold (shared/step-text.ts) skips what a
 * delta repeats of the text before its `at`, so that text is not shown twice — at no cost
 * of a read or a round trip per flush.
 */
import { listStepTextEvents } from "../db/run-events";
import { type StepText, stepTextOf } from "../shared/step-text";
import type { EventWriter } from "./event-writer";

/** What the step showed before this attempt at the run, or nothing to resume. */
export async function shownStepText(runId: string, stepIndex: number): Promise<StepText> {
  return stepTextOf(await listStepTextEvents(runId, stepIndex), stepIndex);
}

export interface ResumingWriter extends EventWriter {
  /** After the model call returned: a call that said less than was shown replaces it. */
  settle(): void;
  /** The step's text as its viewers see it now. */
  shown(): string;
}

/**
 * Wraps the writer of one step's model call. `shown` is the step's text as its viewers
 * hold it; with none, the writer passes everything through unchanged.
 */
export function resumingWriter(
  writer: EventWriter,
  step: { stepIndex: number; modelId: string; shown: string },
): ResumingWriter {
  // What the viewers' step shows now, and what the current call has said so far.
  let shown = step.shown;
  let said = "";
  // Once the call has said everything shown (or nothing was shown), each delta only
  // extends both: pass it on without comparing or slicing the whole text again, which
  // flattened it once per token (quadratic in the step's length; bench:load's profile).
  let past = shown === "";
  const replace = () => {
    writer.defer({ type: "step-resumed", stepIndex: step.stepIndex, modelId: step.modelId, replaced: true });
    if (said) writer.textDelta(step.stepIndex, said, 0);
    shown = said;
    past = true;
  };
  return {
    ...writer,
    defer(event) {
      if (event.type === "step-started" && event.stepIndex === step.stepIndex) {
        said = "";
        past = shown === "";
        // A step that shows nothing yet simply starts; one that shows text is resumed.
        if (shown) {
          writer.defer({ type: "step-resumed", stepIndex: step.stepIndex, modelId: step.modelId });
          return;
        }
      }
      writer.defer(event);
    },
    textDelta(stepIndex, text) {
      if (stepIndex !== step.stepIndex) return writer.textDelta(stepIndex, text);
      said += text;
      if (past) {
        shown = said;
        writer.textDelta(stepIndex, text, said.length - text.length);
        return;
      }
      if (said.length <= shown.length) {
        if (!shown.startsWith(said)) replace();
        return;
      }
      if (said.startsWith(shown)) {
        const at = shown.length;
        shown = said;
        past = true;
        writer.textDelta(stepIndex, said.slice(at), at);
        return;
      }
      replace();
    },
    settle() {
      if (said.length < shown.length) replace();
    },
    shown: () => shown,
  };
}
