/**
 * The tool call lifecycle as a table: every transition it allows, every one it refuses,
 * the engine's move for each state and decision, terminal states final, and how an
 * execution's ending maps to a status, an audit action and an event.
 */
import { describe, expect, it } from "vitest";
import type { Decision } from "../shared/risk";
import { TOOL_CALL_STATUSES, type ToolCallStatus } from "../shared/run-events";
import {
  awaitsEngine,
  type Ending,
  endingTransition,
  engineMove,
  isTerminal,
  nextStatus,
  runBounded,
  TERMINAL_TOOL_CALL_STATUSES,
  TOOL_CALL_TRANSITIONS,
  type TransitionName,
  toToolResult,
  transition,
  transitionAudit,
  transitionEvent,
} from "./tool-call-lifecycle";

/** Every allowed (from → to) pair, written out by hand: the table must say exactly this. */
const ALLOWED: Record<TransitionName, [from: ToolCallStatus[], to: ToolCallStatus]> = {
  start: [["PENDING"], "RUNNING"],
  refuse: [["PENDING", "APPROVED", "RUNNING"], "REFUSED"],
  "ask-approval": [["PENDING"], "AWAITING_APPROVAL"],
  approve: [["AWAITING_APPROVAL"], "APPROVED"],
  "close-request": [["AWAITING_APPROVAL"], "REFUSED"],
  "void-request": [["AWAITING_APPROVAL"], "PENDING"],
  "start-approved": [["APPROVED"], "RUNNING"],
  "void-approval": [["APPROVED"], "PENDING"],
  retry: [["RUNNING"], "RUNNING"],
  succeed: [["RUNNING"], "SUCCEEDED"],
  fail: [["RUNNING"], "FAILED"],
  cancel: [["RUNNING"], "CANCELLED"],
  "outcome-unknown": [["RUNNING"], "UNKNOWN_OUTCOME"],
  "cancel-run": [["PENDING", "AWAITING_APPROVAL", "APPROVED"], "CANCELLED"],
};

const NAMES = Object.keys(TOOL_CALL_TRANSITIONS) as TransitionName[];

describe("the tool call lifecycle", () => {
  it("lists exactly the transitions written out here", () => {
    expect(NAMES.sort()).toEqual((Object.keys(ALLOWED) as TransitionName[]).sort());
    for (const name of NAMES) {
      const [from, to] = ALLOWED[name];
      expect({ name, from: [...transition(name).from].sort(), to: transition(name).to }).toEqual({
        name,
        from: [...from].sort(),
        to,
      });
    }
  });

  it("allows every listed transition from each of its states", () => {
    for (const name of NAMES) {
      const [from, to] = ALLOWED[name];
      for (const status of from) expect(nextStatus(status, name), `${name} from ${status}`).toBe(to);
    }
  });

  it("refuses every transition from any other state", () => {
    let refused = 0;
    for (const name of NAMES) {
      for (const status of TOOL_CALL_STATUSES) {
        if (ALLOWED[name][0].includes(status)) continue;
        expect(nextStatus(status, name), `${name} from ${status}`).toBeNull();
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(NAMES.length * 5);
  });

  it("has exactly five terminal states, and no transition leaves one", () => {
    expect([...TERMINAL_TOOL_CALL_STATUSES].sort()).toEqual(
      ["CANCELLED", "FAILED", "REFUSED", "SUCCEEDED", "UNKNOWN_OUTCOME"].sort(),
    );
    for (const status of TERMINAL_TOOL_CALL_STATUSES) {
      expect(isTerminal(status)).toBe(true);
      for (const name of NAMES) expect(nextStatus(status, name), `${name} from ${status}`).toBeNull();
    }
    for (const status of TOOL_CALL_STATUSES.filter((each) => !TERMINAL_TOOL_CALL_STATUSES.has(each))) {
      expect(isTerminal(status)).toBe(false);
    }
  });

  it("gives every transition the engine makes an audit action, and none to people's", () => {
    for (const name of NAMES) {
      const { by, audit } = transition(name);
      if (by === "engine") expect(audit, name).toMatch(/^tool-call\.[a-z-]+$/);
      else expect(audit, name).toBeNull();
    }
  });
});

describe("the engine's move for a call", () => {
  const decisions: (Decision | null)[] = ["ALLOW", "REQUIRE_APPROVAL", "DENY", null];
  /** [status, decision] → move, for a call that is not safe to repeat. */
  const table: [ToolCallStatus, Decision | null, ReturnType<typeof engineMove>][] = [
    ["PENDING", "ALLOW", "start"],
    ["PENDING", "REQUIRE_APPROVAL", "ask-approval"],
    ["PENDING", "DENY", "refuse"],
    ["PENDING", null, "refuse"],
    ["APPROVED", "ALLOW", "start-approved"],
    ["APPROVED", "REQUIRE_APPROVAL", "start-approved"],
    ["APPROVED", "DENY", "refuse"],
    ["APPROVED", null, "refuse"],
    ["RUNNING", "ALLOW", "outcome-unknown"],
    ["RUNNING", "REQUIRE_APPROVAL", "outcome-unknown"],
    ["RUNNING", "DENY", "outcome-unknown"],
    ["RUNNING", null, "refuse"],
  ];

  it.each(table)("%s under %s → %s", (status, decision, move) => {
    expect(engineMove(status, decision)).toBe(move);
    // The move is a transition the lifecycle allows from that state.
    if (move) expect(nextStatus(status, move)).not.toBeNull();
  });

  it("runs a call found RUNNING again only when it is safe to repeat", () => {
    for (const decision of ["ALLOW", "REQUIRE_APPROVAL", "DENY"] as const) {
      expect(engineMove("RUNNING", decision, true)).toBe("retry");
    }
    expect(engineMove("RUNNING", null, true)).toBe("refuse");
    for (const status of ["PENDING", "APPROVED"] as const) {
      for (const decision of decisions) expect(engineMove(status, decision, true)).toBe(engineMove(status, decision));
    }
  });

  it("has no move for a terminal call or a call awaiting a person, whatever policy says", () => {
    for (const status of [...TERMINAL_TOOL_CALL_STATUSES, "AWAITING_APPROVAL" as const]) {
      expect(awaitsEngine(status)).toBe(false);
      for (const decision of decisions) {
        expect(engineMove(status, decision)).toBeNull();
        expect(engineMove(status, decision, true)).toBeNull();
      }
    }
  });
});

describe("how an execution ends", () => {
  const endings: [Ending, string][] = [
    ["SUCCEEDED", "tool-call.executed"],
    ["FAILED", "tool-call.failed"],
    ["CANCELLED", "tool-call.cancelled"],
    ["UNKNOWN_OUTCOME", "tool-call.unknown-outcome"],
  ];

  it.each(endings)("%s is a transition from RUNNING audited as %s", (ending, action) => {
    const name = endingTransition(ending);
    expect(nextStatus("RUNNING", name)).toBe(ending);
    expect(transition(name).audit).toBe(action);
    const audit = transitionAudit({
      name,
      actorId: "user-1",
      runId: "run-1",
      toolCallId: "call-1",
      data: { toolName: "read_file", echoed: "the secret is hunter2" },
      released: new Set(["hunter2"]),
    });
    expect(audit).toMatchObject({ actorId: "user-1", action, targetType: "tool-call", targetId: "call-1" });
    expect(audit.data).toMatchObject({ runId: "run-1", toolName: "read_file" });
    expect(JSON.stringify(audit.data)).not.toContain("hunter2");
  });

  it("reports a transition as a tool-call-updated event with released values hidden", () => {
    const released = new Set(["hunter2"]);
    const event = transitionEvent(
      { stepIndex: 3, toolCallId: "call-1" },
      { to: "FAILED", error: "cannot open hunter2", result: undefined },
      released,
    );
    expect(event).toMatchObject({ type: "tool-call-updated", stepIndex: 3, toolCallId: "call-1", status: "FAILED" });
    expect(JSON.stringify(event)).not.toContain("hunter2");
    // No error key when there is none (a call stored without one has null).
    expect(transitionEvent({ stepIndex: 0, toolCallId: "c" }, { to: "RUNNING", error: null }, released)).toEqual({
      type: "tool-call-updated",
      stepIndex: 0,
      toolCallId: "c",
      status: "RUNNING",
    });
    // An outcome's own event (a sensitive read's hidden result) replaces the default one.
    const own = { type: "text-delta" as const, stepIndex: 3, text: "hunter2" };
    const replaced = transitionEvent({ stepIndex: 3, toolCallId: "c" }, { to: "SUCCEEDED", event: own }, released);
    expect(replaced).toMatchObject({ type: "text-delta", stepIndex: 3 });
    expect(JSON.stringify(replaced)).not.toContain("hunter2");
  });

  it("tells the model each settled status: an error text for what did not succeed, the result otherwise", () => {
    const call = { modelCallId: "m-1", toolName: "t", result: { ok: true }, error: "boom" };
    expect(toToolResult({ ...call, status: "SUCCEEDED" }).output).toEqual({ type: "json", value: { ok: true } });
    expect(toToolResult({ ...call, status: "FAILED" }).output).toEqual({ type: "error-text", value: "Error: boom" });
    expect(toToolResult({ ...call, status: "REFUSED" }).output).toEqual({ type: "error-text", value: "Refused: boom" });
    for (const status of ["CANCELLED", "UNKNOWN_OUTCOME"] as const) {
      expect(toToolResult({ ...call, status }).output).toMatchObject({ type: "error-text" });
    }
  });

  it("tells a reviewer's rejection as a plain result; only a rejection's mark makes it one, never its text", () => {
    const notice = "Not executed: rejected by a reviewer because no; do not retry it.";
    const base = { modelCallId: "m-2", toolName: "t", status: "REFUSED" as const, error: notice };
    for (const notExecuted of ["rejected-by-reviewer", "rejected-earlier"]) {
      expect(toToolResult({ ...base, result: { notExecuted, requestId: "r" } }).output).toEqual({
        type: "text",
        value: notice,
      });
    }
    // The same words without the mark (a tool's own error, a policy denial) stay an error.
    expect(toToolResult({ ...base, result: null }).output).toEqual({ type: "error-text", value: `Refused: ${notice}` });
    expect(toToolResult({ ...base, result: { notExecuted: "approved", requestId: "r" } }).output).toMatchObject({
      type: "error-text",
    });
    expect(
      toToolResult({ ...base, status: "FAILED", result: { notExecuted: "rejected-earlier", requestId: "r" } }).output,
    ).toMatchObject({
      type: "error-text",
    });
  });
});

describe("the bound on parallel calls", () => {
  it("never runs more than the limit at once, and runs every item once", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const gates: (() => void)[] = [];
    const work = runBounded([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      seen.push(item);
      running--;
    });
    // Open the gates one at a time, as the lanes ask: no timing, only turns of the event loop.
    while (seen.length < 7) {
      await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await work;
    expect(most).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
