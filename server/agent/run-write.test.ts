/**
 * The engine's one-round-trip write (airlock_write_run) against the real database: it
 * stores everything or nothing, only for the worker holding the lease, in order, and
 * applies a call's outcome only to the attempt that started it.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditRecord, verifyAuditChain } from "../audit/record-audit-event";
import { applyRunWrite, emptyRunWrite, mergeRunWrites } from "../db/run-write";
import { claimNextRun } from "../db/runs";
import { LeaseLostError } from "../db/steps";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function claimedRun() {
  const user = await createTestUser();
  const conversation = await createTestConversation(user.id);
  const runId = await sendTestMessage(user.id, conversation.id, "hello");
  const workerId = `worker-${randomUUID()}`;
  expect((await claimNextRun(workerId, 60_000))?.id).toBe(runId);
  return { user, identity: { runId, workerId, conversationId: conversation.id } };
}

function stepWrite(stepIndex: number, callId: string, text: string) {
  const stepId = randomUUID();
  return mergeRunWrites(emptyRunWrite(), {
    stepCount: stepIndex + 1,
    step: { id: stepId, index: stepIndex, modelId: "demo", finishReason: "tool-calls", latencyMs: 3 },
    messages: [{ stepIndex, role: "ASSISTANT", parts: [{ type: "text", text }] }],
    calls: [
      {
        id: callId,
        stepId,
        modelCallId: `model-${callId}`,
        position: 0,
        toolName: "list_files",
        args: { path: text },
        argsHash: "h".repeat(64),
        status: "RUNNING",
        riskClass: "READ",
        error: null,
        idempotencyKey: `${callId}:0`,
      },
    ],
    events: [
      { type: "step-started", stepIndex, modelId: "demo" },
      { type: "text-delta", stepIndex, text },
    ],
  });
}

const count = async (table: string, runId: string) =>
  Number(
    (await database.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}" WHERE "runId" = $1`, [runId]))[0]?.n,
  );

describe("applyRunWrite", () => {
  it("stores a step, its message, calls, events and audit events at once, in order, and notifies", async () => {
    const { user, identity } = await claimedRun();
    const callId = randomUUID();
    const before = Number((await database.query<{ n: string }>(`SELECT count(*) AS n FROM "AuditEvent"`))[0]?.n);
    await applyRunWrite(
      identity,
      mergeRunWrites(stepWrite(0, callId, "first"), {
        audits: [
          auditRecord({ actorId: user.id, action: "tool-call.started", targetType: "tool-call", targetId: callId }),
          auditRecord({ actorId: user.id, action: "tool-call.succeeded", targetType: "tool-call", targetId: callId }),
        ],
      }),
    );
    const run = (
      await database.query<{ stepCount: number; lastEventSeq: number }>(
        `SELECT "stepCount", "lastEventSeq" FROM "Run" WHERE id = $1`,
        [identity.runId],
      )
    )[0];
    expect(run).toEqual({ stepCount: 1, lastEventSeq: 3 }); // after the queued run's own event
    const events = await database.query<{ seq: number; type: string }>(
      `SELECT seq, type FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`,
      [identity.runId],
    );
    expect(events.map((event) => [event.seq, event.type])).toEqual([
      [1, "run-status"],
      [2, "step-started"],
      [3, "text-delta"],
    ]);
    const call = (
      await database.query<{ status: string; attempts: number; startedAt: Date | null }>(
        `SELECT status, attempts, "startedAt" FROM "ToolCall" WHERE id = $1`,
        [callId],
      )
    )[0];
    expect(call).toMatchObject({ status: "RUNNING", attempts: 1 });
    expect(call?.startedAt).toBeInstanceOf(Date);
    const audits = await database.query<{ action: string }>(`SELECT action FROM "AuditEvent" ORDER BY id DESC LIMIT 2`);
    expect(audits.map((audit) => audit.action)).toEqual(["tool-call.succeeded", "tool-call.started"]);
    expect(Number((await database.query<{ n: string }>(`SELECT count(*) AS n FROM "AuditEvent"`))[0]?.n)).toBe(
      before + 2,
    );
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("writes nothing at all for a worker that no longer holds the lease", async () => {
    const { identity } = await claimedRun();
    const stranger = { ...identity, workerId: "someone-else" };
    await expect(applyRunWrite(stranger, stepWrite(0, randomUUID(), "stale"))).rejects.toBeInstanceOf(LeaseLostError);
    expect(await count("Step", identity.runId)).toBe(0);
    expect(await count("ToolCall", identity.runId)).toBe(0);
    expect(await count("RunEvent", identity.runId)).toBe(1); // the queued run's own event
    expect(await count("Message", identity.runId)).toBe(1); // the user's message only
  });

  it("rolls everything back when any part fails (a step index taken twice)", async () => {
    const { identity } = await claimedRun();
    await applyRunWrite(identity, stepWrite(0, randomUUID(), "first"));
    await expect(applyRunWrite(identity, stepWrite(0, randomUUID(), "again"))).rejects.toThrow(/unique|duplicate/i);
    expect(await count("Step", identity.runId)).toBe(1);
    expect(await count("ToolCall", identity.runId)).toBe(1);
    expect(await count("RunEvent", identity.runId)).toBe(3);
  });

  it("applies an outcome only to the attempt that started the call, once", async () => {
    const { identity } = await claimedRun();
    const callId = randomUUID();
    await applyRunWrite(identity, stepWrite(0, callId, "first"));
    const stale = { id: callId, status: "SUCCEEDED" as const, result: { stale: true }, attempts: 2 };
    await applyRunWrite(identity, mergeRunWrites(emptyRunWrite(), { finished: [stale] }));
    const done = { id: callId, status: "SUCCEEDED" as const, result: { files: ["a"] }, attempts: 1 };
    await applyRunWrite(identity, mergeRunWrites(emptyRunWrite(), { finished: [done] }));
    const replay = { id: callId, status: "FAILED" as const, error: "late", attempts: 1 };
    await applyRunWrite(identity, mergeRunWrites(emptyRunWrite(), { finished: [replay] }));
    const call = (
      await database.query<{ status: string; result: unknown; error: string | null }>(
        `SELECT status, result, error FROM "ToolCall" WHERE id = $1`,
        [callId],
      )
    )[0];
    expect(call).toEqual({ status: "SUCCEEDED", result: { files: ["a"] }, error: null });
  });

  it("stores text with quotes, SQL and NUL from a model as data", async () => {
    const { identity } = await claimedRun();
    const nasty = `'); DROP TABLE "Run"; -- $1 \\' nul\u0000here`;
    await applyRunWrite(identity, stepWrite(0, randomUUID(), nasty));
    const message = (
      await database.query<{ parts: { text: string }[] }>(
        `SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT'`,
        [identity.runId],
      )
    )[0];
    expect(message?.parts[0]?.text).toBe(nasty.replace("\u0000", "\uFFFD"));
    expect(await count("Step", identity.runId)).toBe(1);
  });
});
