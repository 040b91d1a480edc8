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
});
