import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendRunEvents } from "../db/run-events";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { streamRunEvents } from "./run-stream";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function newRun(): Promise<string> {
  const user = await createTestUser();
  const conversation = await createTestConversation(user.id);
  return sendTestMessage(user.id, conversation.id, "hello");
}

async function take(iterator: AsyncIterator<{ seq: number }>, count: number): Promise<number[]> {
  const seqs: number[] = [];
  while (seqs.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    seqs.push(next.value.seq);
  }
  return seqs;
}

describe("run event stream", () => {
  it("replays from a sequence number, then goes live, with no gap and no repeat", async () => {
    const runId = await newRun(); // seq 1: run-status QUEUED
    for (let index = 0; index < 5; index++)
      await appendRunEvents(runId, [{ type: "text-delta", stepIndex: 0, text: `${index}` }]);
    const controller = new AbortController();
    const stream = streamRunEvents({ runId, afterSeq: 3, signal: controller.signal });
    expect(await take(stream, 3)).toEqual([4, 5, 6]);
    // Live: written after the reader caught up, delivered through NOTIFY.
    const live = take(stream, 2);
    await appendRunEvents(runId, [{ type: "text-delta", stepIndex: 0, text: "a" }]);
    await appendRunEvents(runId, [{ type: "text-delta", stepIndex: 0, text: "b" }]);
    expect(await live).toEqual([7, 8]);
    controller.abort();
  });

  it("ends after the terminal status event", async () => {
    const runId = await newRun();
    await appendRunEvents(runId, [{ type: "run-status", status: "COMPLETED" }]);
    const seen: string[] = [];
    for await (const event of streamRunEvents({ runId, afterSeq: 0 })) seen.push(event.data.type);
    expect(seen).toEqual(["run-status", "run-status"]);
  });

  it("concurrent writers still get contiguous, unique sequence numbers", async () => {
    const runId = await newRun();
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        appendRunEvents(runId, [{ type: "text-delta", stepIndex: 0, text: `${index}` }]),
      ),
    );
    const rows = await database.query<{ seq: number }>(`SELECT seq FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`, [
      runId,
    ]);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 41 }, (_, index) => index + 1));
  });
});
