/**
 * A tool call cut off by its timeout or a stopped run is reported only once the tool has
 * stopped what it started (within a grace period): the outcome is never told while a
 * process of that call may still be running.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ToolCallState } from "../db/steps";
import { testEngineDependencies } from "../testing/fixtures";
import { defineTool } from "../tools/define-tool";
import { runTool } from "./run-tool";

const call = { id: "call-abort", idempotencyKey: "run-abort:0:0", modelCallId: "m-1" } as unknown as ToolCallState;

function slowToStopTool(state: { stopped: boolean }, stopAfterMs: number | null) {
  return defineTool({
    name: "slow_to_stop",
    description: "Takes a while to stop what it started when told to.",
    input: z.object({}),
    output: z.object({}),
    risk: "DESTRUCTIVE",
    execute: (_input, context) =>
      new Promise((_resolve, reject) => {
        context.signal.addEventListener("abort", () => {
          if (stopAfterMs === null) return; // ignores its signal
          setTimeout(() => {
            state.stopped = true;
            reject(new Error("stopped"));
          }, stopAfterMs);
        });
      }),
  });
}

function run(tool: ReturnType<typeof slowToStopTool>, signal = new AbortController().signal) {
  return runTool(
    { call, tool, input: {}, riskClass: "DESTRUCTIVE", edited: false, approved: true, network: false },
    {
      runId: "run-abort",
      actor: { id: "user-1", role: "USER" },
      signal,
      deps: testEngineDependencies({ config: { toolTimeoutMs: 100 } }),
      released: new Set(),
      stepIndex: 0,
    },
  );
}

describe("a tool call that is cut off", () => {
  it("is reported as an unknown outcome only after the tool stopped (timeout)", async () => {
    const state = { stopped: false };
    const outcome = await run(slowToStopTool(state, 400));
    expect(outcome.to).toBe("UNKNOWN_OUTCOME");
    expect(state.stopped).toBe(true);
  });

  it("is reported only after the tool stopped (the run was stopped)", async () => {
    const state = { stopped: false };
    const controller = new AbortController();
    const running = run(slowToStopTool(state, 400), controller.signal);
    setTimeout(() => controller.abort(new Error("stopped by the user")), 20);
    const outcome = await running;
    expect(outcome.to).toBe("UNKNOWN_OUTCOME");
    expect(state.stopped).toBe(true);
  });

  it("is still reported when the tool ignores its signal, after the grace period", async () => {
    const state = { stopped: false };
    const outcome = await run(slowToStopTool(state, null));
    expect(outcome.to).toBe("UNKNOWN_OUTCOME");
    expect(state.stopped).toBe(false);
  });
});
