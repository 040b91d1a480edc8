/** The chat client folds a resumed step's events without dropping text the user saw. */
import { describe, expect, it } from "vitest";
import type { RunEventData } from "@/server/shared/run-events";
import { applyRunEvent, emptyLiveRun } from "./transcript";

describe("applyRunEvent", () => {
  it("keeps a resumed step's text, and keeps replaced text visible as interrupted", () => {
    let view = emptyLiveRun("run", "hi", "RUNNING");
    const events: RunEventData[] = [
      { type: "step-started", stepIndex: 0, modelId: "m" },
      { type: "text-delta", stepIndex: 0, text: "Hello wor" },
      { type: "step-resumed", stepIndex: 0, modelId: "m" },
      { type: "text-delta", stepIndex: 0, text: "ld" },
      { type: "step-resumed", stepIndex: 0, modelId: "m", replaced: true },
      { type: "text-delta", stepIndex: 0, text: "Bye" },
    ];
    for (const event of events) view = applyRunEvent(view, event);
    expect(view.steps[0]).toMatchObject({ text: "Bye", interruptedText: "Hello world", resumed: true });
  });

  it("shows a resumed delta's overlap with the text already there once, by its position", () => {
    let view = emptyLiveRun("run", "hi", "RUNNING");
    const events: RunEventData[] = [
      { type: "step-started", stepIndex: 0, modelId: "m" },
      { type: "text-delta", stepIndex: 0, text: "Step", at: 0 },
      { type: "text-delta", stepIndex: 0, text: " 1", at: 4 },
      { type: "step-resumed", stepIndex: 0, modelId: "m" },
      // Written by a call that read "Step" before " 1" was committed: starts at 4 again.
      { type: "text-delta", stepIndex: 0, text: " 1 of 3", at: 4 },
      { type: "text-delta", stepIndex: 0, text: ".", at: 11 },
    ];
    for (const event of events) view = applyRunEvent(view, event);
    expect(view.steps[0]).toMatchObject({ text: "Step 1 of 3.", resumed: true });
  });
});
