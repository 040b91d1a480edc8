/**
 * loadRunState reads a run in one JSON query; its JSON is built from the same Prisma
 * selects its types come from, so what it returns is exactly what Prisma returns for
 * those selects — keys, values and types. A column renamed or a key mistyped fails here.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun } from "../testing/fixtures";
import { db } from "./client";
import { applyRunWrite, emptyRunWrite, mergeRunWrites } from "./run-write";
import { loadRunState, runStateSelect, toolCallStateSelect } from "./steps";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("loadRunState", () => {
  it("returns the run and the last step's calls exactly as Prisma returns them for runStateSelect and toolCallStateSelect", async () => {
    const { identity } = await claimTestRun("REVIEWER");
    const { runId } = identity;
    const stepId = randomUUID();
    const call = {
      stepId,
      modelCallId: "model-call",
      toolName: "list_files",
      argsHash: "b".repeat(64),
      riskClass: "READ" as const,
      error: null,
    };
    await applyRunWrite(
      identity,
      mergeRunWrites(emptyRunWrite(), {
        stepCount: 1,
        step: { id: stepId, index: 0, modelId: "demo", finishReason: "tool-calls", latencyMs: 5 },
        calls: [
          {
            ...call,
            id: randomUUID(),
            position: 0,
            args: { path: "." },
            status: "RUNNING",
            idempotencyKey: `${runId}:0:0`,
          },
          {
            ...call,
            id: randomUUID(),
            position: 1,
            args: [1, "two"],
            status: "PENDING",
            idempotencyKey: `${runId}:0:1`,
          },
        ],
      }),
    );

    const state = await loadRunState(runId);
    const run = await db().run.findUniqueOrThrow({ where: { id: runId }, select: runStateSelect });
    expect(state?.run).toStrictEqual({ ...run, userRole: "REVIEWER", cancelRequested: false });
    const calls = await db().toolCall.findMany({
      where: { stepId },
      orderBy: { position: "asc" },
      select: toolCallStateSelect,
    });
    expect(calls).toHaveLength(2);
    expect(state?.lastStepToolCalls).toStrictEqual(calls);
    expect(state?.lastStep).toStrictEqual({ id: stepId, index: 0, finishReason: "tool-calls" });
    expect(state?.messages).toStrictEqual([{ role: "USER", parts: [{ type: "text", text: "hello" }] }]);
  });

  it("is null for a run that does not exist", async () => {
    expect(await loadRunState(randomUUID())).toBeNull();
  });
});
