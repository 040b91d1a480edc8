/** The task status each run state maps to (task-state.ts), as a table; and the ttl granted, and cursors. */
import { describe, expect, it } from "vitest";
import type { GatewayRunOutcome } from "../../db/gateway";
import { grantedTtl, MAX_TASK_TTL_MS, MIN_TASK_TTL_MS } from "./create-task";
import { decodeTaskCursor, encodeTaskCursor } from "./task-cursor";
import { isTerminalStatus, taskState } from "./task-state";

type Call = GatewayRunOutcome["toolCalls"][number];
type Approval = Call["approvals"][number];

function outcome(
  status: GatewayRunOutcome["status"],
  call?: Partial<Omit<Call, "approvals">>,
  approval?: Partial<Approval>,
): GatewayRunOutcome {
  return {
    id: "run-1",
    status,
    error: null,
    lastEventSeq: 3,
    updatedAt: new Date(0),
    toolCalls: call
      ? [
          {
            id: "call-1",
            toolName: "write_file",
            status: "PENDING",
            riskClass: "DESTRUCTIVE",
            result: null,
            error: null,
            ...call,
            approvals: approval
              ? [{ id: "approval-1", status: "PENDING", decisionReason: null, expiresAt: new Date(0), ...approval }]
              : [],
          },
        ]
      : [],
  };
}

describe("taskState", () => {
  const cases: [string, GatewayRunOutcome | null, string, RegExp][] = [
    ["queued", outcome("QUEUED"), "working", /^queued$/],
    ["running, not executing", outcome("RUNNING", { status: "APPROVED" }), "working", /^running$/],
    ["executing", outcome("RUNNING", { status: "RUNNING" }), "working", /executing/],
    [
      "waiting for a reviewer",
      outcome("AWAITING_APPROVAL", { status: "AWAITING_APPROVAL" }, {}),
      "working",
      /^waiting for approval approval-1$/,
    ],
    ["approval not written yet", outcome("AWAITING_APPROVAL"), "working", /^waiting for approval$/],
    ["succeeded", outcome("COMPLETED", { status: "SUCCEEDED", result: { ok: true } }), "completed", /^done$/],
    [
      "rejected",
      outcome("COMPLETED", { status: "REFUSED" }, { status: "REJECTED", decisionReason: "no" }),
      "completed",
      /rejected this call .* because: no\. Do not retry/,
    ],
    ["tool failed", outcome("COMPLETED", { status: "FAILED", error: "disk full" }), "failed", /^disk full$/],
    ["unknown outcome", outcome("COMPLETED", { status: "UNKNOWN_OUTCOME" }), "failed", /outcome is unknown/],
    ["run failed before a call", outcome("FAILED"), "failed", /not made/],
    ["run cancelled", outcome("CANCELLED", { status: "CANCELLED" }, { status: "CANCELLED" }), "cancelled", /cancelled/],
    ["run gone", null, "failed", /no longer exists/],
    [
      "cancelled too late: the call ran",
      outcome("CANCELLED", { status: "SUCCEEDED", result: {} }),
      "completed",
      /^done$/,
    ],
    ["run cancelled, call not decided", outcome("CANCELLED", { status: "APPROVED" }), "cancelled", /cancelled/],
  ];
  it.each(cases)("%s", (_label, given, status, message) => {
    const state = taskState(given);
    expect(state.status).toBe(status);
    expect(state.statusMessage).toMatch(message);
    expect(state.result !== undefined).toBe(isTerminalStatus(state.status));
  });

  it("gives a rejection as a plain result and a tool failure as an error result", () => {
    const rejected = taskState(
      outcome("COMPLETED", { status: "REFUSED" }, { status: "REJECTED", decisionReason: "x" }),
    );
    expect(rejected.result?.isError).toBeUndefined();
    expect(taskState(outcome("COMPLETED", { status: "FAILED", error: "e" })).result?.isError).toBe(true);
  });
});

describe("grantedTtl", () => {
  it.each([
    [undefined, 24 * 60 * 60_000],
    [Number.NaN, 24 * 60 * 60_000],
    [1, MIN_TASK_TTL_MS],
    [-5, MIN_TASK_TTL_MS],
    [90_000.4, 90_000],
    [Number.MAX_SAFE_INTEGER, MAX_TASK_TTL_MS],
  ])("%s ms → %s ms", (requested, granted) => {
    expect(grantedTtl(requested)).toBe(granted);
  });
});

describe("task cursors", () => {
  it("round-trip and refuse what this server did not hand out", () => {
    const cursor = { createdAt: new Date("2026-12-02T07:00:00.123Z"), id: "abc" };
    expect(decodeTaskCursor(encodeTaskCursor(cursor))).toEqual(cursor);
    for (const forged of ["", "%%%", "x".repeat(500), Buffer.from('{"t":1,"i":"a"}').toString("base64url")]) {
      expect(decodeTaskCursor(forged), forged).toBeNull();
    }
  });
});
