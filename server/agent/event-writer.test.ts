/**
 * The run event writer's close(), against the real database: an attempt that ends (after
 * INTERRUPTED, say) writes nothing more once closed, even though its worker still holds the
 * lease — the same worker may claim the run again, and a late write of the earlier attempt
 * would pass that lease check and land among the new attempt's events.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { emptyRunWrite, mergeRunWrites } from "../db/run-write";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun } from "../testing/fixtures";
import { createEventWriter } from "./event-writer";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function eventsOf(runId: string) {
  return database.query<{ type: string; data: { text?: string; stepIndex?: number } }>(
    `SELECT type, data FROM "RunEvent" WHERE "runId" = $1 AND type <> 'run-status' ORDER BY seq`,
    [runId],
  );
}

it("close() waits for the write in flight, drops what was only scheduled, and ignores anything later", async () => {
  const { identity } = await claimTestRun();
  const writer = createEventWriter(identity);
  writer.defer({ type: "step-started", stepIndex: 0, modelId: "demo" });
  writer.textDelta(0, "written");
  const inFlight = writer.flush();
  // The flush takes what is pending when its turn comes (a microtask later): let it take it.
  await new Promise((resolve) => setImmediate(resolve));
  // Scheduled, not begun: a tool outcome that would ride along with the next write.
  writer.deferWrite(
    mergeRunWrites(emptyRunWrite(), {
      events: [{ type: "step-finished", stepIndex: 0, finishReason: "stop", latencyMs: 1 }],
    }),
    20,
  );
  writer.textDelta(0, " dropped");
  await writer.close();
  await inFlight;
  // The in-flight write had landed by the time close() returned.
  const afterClose = await eventsOf(identity.runId);
  expect(afterClose.map((event) => [event.type, event.data.text])).toEqual([
    ["step-started", undefined],
    ["text-delta", "written"],
  ]);

  // A model stream that still drains into the writer, and a flush, write nothing.
  writer.textDelta(0, " late");
  writer.defer({ type: "step-started", stepIndex: 1, modelId: "demo" });
  await writer.flush();
  // The dropped write was due 20 ms after it was deferred: nothing can tell "not yet" from
  // "never" but time, so wait well past it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await eventsOf(identity.runId)).toEqual(afterClose);
  // The lease was held throughout: it was the writer that refused, not the database.
  const [run] = await database.query<{ leaseOwner: string }>(`SELECT "leaseOwner" FROM "Run" WHERE id = $1`, [
    identity.runId,
  ]);
  expect(run?.leaseOwner).toBe(identity.workerId);
});
