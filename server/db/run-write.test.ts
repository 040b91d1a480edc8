/**
 * The shape of the engine's write path, held in one place: every field a RunWrite can
 * carry goes through the real airlock_write_run and is read back from the column of the
 * same name. A column renamed or retyped in the schema, or a field the function stops
 * reading, fails here by name — not only when the engine runs. (What the write does —
 * all or nothing, only under the lease, once per attempt — is in
 * server/agent/run-write.test.ts.)
 */
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun } from "../testing/fixtures";
import type { AuditRecord } from "./audit-events";
import {
  applyRunWrite,
  emptyRunWrite,
  type FinishedCall,
  mergeRunWrites,
  type NewMessage,
  type NewStep,
  type NewToolCall,
  type RunWrite,
} from "./run-write";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function row(table: string, where: string, value: unknown): Promise<Record<string, unknown>> {
  const rows = await database.query(`SELECT * FROM "${table}" WHERE ${where} = $1`, [value]);
  expect(rows, `one ${table} row`).toHaveLength(1);
  return rows[0] as Record<string, unknown>;
}

/** Each field of `written` is in the column of the same name (but the ones named in `not`). */
function expectColumns(stored: Record<string, unknown>, written: object, not: string[] = []): void {
  for (const [key, value] of Object.entries(written)) {
    if (not.includes(key)) continue;
    expect(stored, `column "${key}"`).toHaveProperty(key);
    expect(stored[key], `column "${key}"`).toEqual(value);
  }
}

describe("the run write path's shape", () => {
  it("the run write function accepts every field RunWrite can carry", async () => {
    const { user, identity } = await claimTestRun();
    const stepId = randomUUID();
    // `satisfies Required<…>`: a field added to a RunWrite type must be added here too.
    const step = {
      id: stepId,
      index: 0,
      modelId: "demo",
      finishReason: "tool-calls",
      inputTokens: 11,
      outputTokens: 22,
      latencyMs: 33,
      ttftMs: 44,
    } satisfies Required<NewStep>;
    const message = {
      stepIndex: 0,
      role: "ASSISTANT",
      parts: [{ type: "text", text: "hi ' \" $$ \\" }],
    } satisfies Required<NewMessage>;
    const running = {
      id: randomUUID(),
      stepId,
      modelCallId: "model-call-1",
      position: 0,
      toolName: "list_files",
      args: { path: "a b", nested: [1, { deep: true }] },
      argsHash: "a".repeat(64),
      status: "RUNNING",
      riskClass: "READ",
      error: null,
      idempotencyKey: `${identity.runId}:0:0`,
    } satisfies Required<NewToolCall> & { stepId: string };
    const refused = {
      ...running,
      id: randomUUID(),
      modelCallId: "model-call-2",
      position: 1,
      toolName: "no_such_tool",
      status: "REFUSED",
      riskClass: null,
      error: "unknown tool",
      idempotencyKey: `${identity.runId}:0:1`,
    } satisfies Required<NewToolCall> & { stepId: string };
    const audit = {
      actorId: user.id,
      action: "tool-call.started",
      targetType: "tool-call",
      targetId: running.id,
      data: { why: "test", quote: "'" },
      createdAt: new Date(Math.floor(Date.now())),
      canonical: `{"canonical":"${randomUUID()}"}`,
    } satisfies Required<AuditRecord>;
    const event = { type: "step-started", stepIndex: 0, modelId: "demo" } as const;
    const first = {
      stepCount: 1,
      finished: [],
      step,
      messages: [message],
      calls: [running, refused],
      events: [event],
      audits: [audit],
    } satisfies Required<RunWrite>;
    await applyRunWrite(identity, first);

    const run = await row("Run", "id", identity.runId);
    expect(run.stepCount).toBe(first.stepCount);
    expectColumns(await row("Step", "id", step.id), { ...step, runId: identity.runId });
    const storedMessage = (
      await database.query(`SELECT * FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT'`, [identity.runId])
    )[0] as Record<string, unknown>;
    expectColumns(storedMessage, { ...message, conversationId: identity.conversationId });
    const startedCall = await row("ToolCall", "id", running.id);
    expectColumns(startedCall, { ...running, runId: identity.runId });
    expect(startedCall).toMatchObject({ attempts: 1, finishedAt: null });
    expect(startedCall.startedAt).toBeInstanceOf(Date);
    const refusedCall = await row("ToolCall", "id", refused.id);
    expectColumns(refusedCall, refused);
    expect(refusedCall).toMatchObject({ attempts: 0, startedAt: null });
    expect(refusedCall.finishedAt).toBeInstanceOf(Date);
    const storedEvent = (
      await database.query(`SELECT * FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq DESC LIMIT 1`, [identity.runId])
    )[0];
    expect(storedEvent).toMatchObject({ type: event.type, data: event, seq: run.lastEventSeq });
    const storedAudit = await row("AuditEvent", `"targetId"`, running.id);
    expectColumns(storedAudit, audit, ["canonical", "createdAt"]);
    // node-postgres reads a timestamp without time zone as local time; compare the text.
    const [created] = await database.query<{ text: string }>(
      `SELECT to_json("createdAt") #>> '{}' AS text FROM "AuditEvent" WHERE id = $1`,
      [storedAudit.id],
    );
    expect(new Date(`${created?.text}Z`).getTime()).toBe(audit.createdAt.getTime());
    expect(storedAudit.hash).toBe(
      createHash("sha256")
        .update(`${storedAudit.prevHash as string}${audit.canonical}`)
        .digest("hex"),
    );

    const outcome = {
      id: running.id,
      status: "SUCCEEDED",
      result: { files: ["a", "b"] },
      error: "a warning kept with the result",
      attempts: 1,
    } satisfies Required<FinishedCall>;
    await applyRunWrite(identity, mergeRunWrites(emptyRunWrite(), { finished: [outcome] }));
    const finishedCall = await row("ToolCall", "id", running.id);
    expectColumns(finishedCall, outcome);
    expect(finishedCall.finishedAt).toBeInstanceOf(Date);
  });

  it("a write that leaves the step count alone keeps it, and an empty write stores nothing", async () => {
    const { identity } = await claimTestRun();
    await applyRunWrite(identity, mergeRunWrites(emptyRunWrite(), { stepCount: 3 }));
    await applyRunWrite(identity, emptyRunWrite());
    expect(await row("Run", "id", identity.runId)).toMatchObject({ stepCount: 3, lastEventSeq: 1 });
  });
});
