/**
 * Run events through airlock_append_run_events: one gapless order per run whoever writes
 * (concurrent appenders included), the batch statement form and the Prisma form alike,
 * hostile text stored as data, and a NOTIFY on RUN_EVENTS_CHANNEL that reaches a
 * listener (server/db/notifications.ts) when the transaction commits — not before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEventData } from "../shared/run-events";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { db } from "./client";
import { listen } from "./notifications";
import { appendRunEvents, appendRunEventsStatement, listRunEvents, RUN_EVENTS_CHANNEL } from "./run-events";
import { runInOneRoundTrip } from "./sql-batch";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function queuedRun(): Promise<string> {
  const user = await createTestUser();
  const conversation = await createTestConversation(user.id);
  return sendTestMessage(user.id, conversation.id, "hello");
}

const text = (value: string): RunEventData => ({ type: "text-delta", stepIndex: 0, text: value });

describe("appendRunEvents", () => {
  it("numbers events in order with no gap, from the Prisma form and the batch form alike", async () => {
    const runId = await queuedRun(); // seq 1: the queued run's own event
    expect(await appendRunEvents(runId, [text("a"), text("b")])).toBe(3);
    expect(await appendRunEvents(runId, [])).toBe(0);
    await runInOneRoundTrip([appendRunEventsStatement(runId, [text("c")]) as string]);
    expect(appendRunEventsStatement(runId, [])).toBeNull();
    expect(await appendRunEvents(runId, [text("d")])).toBe(5);
    const events = await listRunEvents(runId, 0);
    expect(
      events.map((event) => [event.seq, event.data.type === "text-delta" ? event.data.text : event.data.type]),
    ).toEqual([
      [1, "run-status"],
      [2, "a"],
      [3, "b"],
      [4, "c"],
      [5, "d"],
    ]);
  });

  it("keeps one gapless order while many writers append at once", async () => {
    const runId = await queuedRun();
    const writers = Array.from({ length: 12 }, (_, writer) =>
      db().$transaction((tx) => appendRunEvents(runId, [text(`${writer}.1`), text(`${writer}.2`)], tx)),
    );
    const lasts = await Promise.all(writers);
    expect([...lasts].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => 3 + 2 * index));
    const events = await listRunEvents(runId, 0);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    // Each writer's two events are adjacent and in its order.
    const textAt = (seq: number) => {
      const data = events.find((event) => event.seq === seq)?.data;
      return data?.type === "text-delta" ? data.text : undefined;
    };
    for (const last of lasts) {
      expect(textAt(last - 1)?.replace(".1", "")).toBe(textAt(last)?.replace(".2", ""));
    }
  });

  it("stores quotes, SQL and NUL as data", async () => {
    const runId = await queuedRun();
    const nasty = `'); DROP TABLE "RunEvent"; -- $1 $$ \\' nul\u0000here`;
    await appendRunEvents(runId, [text(nasty)]);
    await runInOneRoundTrip([appendRunEventsStatement(runId, [text(nasty)]) as string]);
    const stored = (await listRunEvents(runId, 1)).map((event) => (event.data as { text: string }).text);
    expect(stored).toEqual([nasty.replace("\u0000", "\uFFFD"), nasty.replace("\u0000", "\uFFFD")]);
  });

  it("wakes a listener on RUN_EVENTS_CHANNEL with the run id once the transaction commits", async () => {
    const runId = await queuedRun();
    const payloads: string[] = [];
    let woken: () => void = () => {};
    const wake = new Promise<void>((resolve) => {
      woken = resolve;
    });
    const unlisten = await listen(RUN_EVENTS_CHANNEL, (payload) => {
      if (payload !== runId) return;
      payloads.push(payload);
      woken();
    });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let appended: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        appended = resolve;
      });
      const transaction = db().$transaction(async (tx) => {
        await appendRunEvents(runId, [text("x")], tx);
        appended();
        await held;
      });
      await inside;
      // A round trip on the listening connection's server after the append: nothing yet.
      await database.query("SELECT 1");
      expect(payloads).toEqual([]);
      release();
      await transaction;
      await wake;
      expect(payloads).toEqual([runId]);
    } finally {
      unlisten();
    }
  });
});
