/**
 * Many runs' writes made at once share one transaction (airlock_write_runs), as do their
 * heartbeats and their subscribers' reads, and that
 * changes nothing a run can see: each write is stored whole, under its own lease, its
 * events in order; a write that may not land (lease lost, refused by the database) fails
 * alone. Rows written in one transaction share its id (xmin), which is how these tests
 * see the batching.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEventData } from "../shared/run-events";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun } from "../testing/fixtures";
import { LeaseLostError } from "./errors";
import { listRunEvents } from "./run-events";
import { applyRunWrite, emptyRunWrite, mergeRunWrites } from "./run-write";
import { renewLease } from "./runs";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

type Identity = Awaited<ReturnType<typeof claimTestRun>>["identity"];

async function claimRuns(count: number): Promise<Identity[]> {
  const runs: Identity[] = [];
  for (let index = 0; index < count; index++) runs.push((await claimTestRun()).identity);
  return runs;
}

const textWrite = (text: string) =>
  mergeRunWrites(emptyRunWrite(), { events: [{ type: "text-delta", stepIndex: 0, text }] });

/** The texts of the run's text-delta events, in sequence order. */
async function textsOf(runId: string): Promise<string[]> {
  const rows = await database.query<{ data: RunEventData }>(
    `SELECT data FROM "RunEvent" WHERE "runId" = $1 AND type = 'text-delta' ORDER BY seq`,
    [runId],
  );
  return rows.map((row) => (row.data as { text: string }).text);
}

/** How many transactions wrote the runs' text events. */
async function transactionsOf(runIds: string[]): Promise<number> {
  const [row] = await database.query<{ count: number }>(
    `SELECT count(DISTINCT xmin::text)::int AS count FROM "RunEvent" WHERE "runId" = ANY($1) AND type = 'text-delta'`,
    [runIds],
  );
  return row?.count ?? 0;
}

describe("run writes batched across runs", () => {
  it("writes made at once by 40 runs land whole, each in its run and order, in one or two transactions", async () => {
    const runs = await claimRuns(40);
    await Promise.all(runs.map((run, index) => applyRunWrite(run, textWrite(`first of ${index}`))));
    expect(await transactionsOf(runs.map((run) => run.runId))).toBeLessThanOrEqual(2);
    await Promise.all(runs.map((run, index) => applyRunWrite(run, textWrite(`second of ${index}`))));
    for (const [index, run] of runs.entries()) {
      expect(await textsOf(run.runId)).toEqual([`first of ${index}`, `second of ${index}`]);
    }
    const [counts] = await database.query<{ min: number; max: number }>(
      `SELECT min("lastEventSeq")::int AS min, max("lastEventSeq")::int AS max FROM "Run" WHERE id = ANY($1)`,
      [runs.map((run) => run.runId)],
    );
    // The queued status event (1) and the two writes: sequence numbers per run, no gaps.
    expect(counts).toEqual({ min: 3, max: 3 });
  });

  it("a write whose worker lost the lease fails alone; the others in its batch are stored", async () => {
    const runs = await claimRuns(12);
    const stolen = runs[5] as Identity;
    await database.query(`UPDATE "Run" SET "leaseOwner" = 'another-worker' WHERE id = $1`, [stolen.runId]);
    const results = await Promise.allSettled(runs.map((run) => applyRunWrite(run, textWrite(`by ${run.workerId}`))));
    const failed = results.flatMap((result, index) => (result.status === "rejected" ? [index] : []));
    expect(failed).toEqual([5]);
    expect((results[5] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
    expect(await textsOf(stolen.runId)).toEqual([]);
    const others = runs.filter((run) => run !== stolen);
    for (const run of others) expect(await textsOf(run.runId)).toEqual([`by ${run.workerId}`]);
    expect(await transactionsOf(others.map((run) => run.runId))).toBe(1);
  });

  it("a write the database refuses fails alone: the batch is retried write by write", async () => {
    const runs = await claimRuns(10);
    const stepId = randomUUID();
    const step = { id: stepId, index: 0, modelId: "demo", finishReason: "stop", latencyMs: 1 };
    const bad = runs[3] as Identity;
    await applyRunWrite(bad, mergeRunWrites(emptyRunWrite(), { step }));
    // The same step again violates its primary key: the database refuses this write.
    const results = await Promise.allSettled(
      runs.map((run) =>
        applyRunWrite(run, run === bad ? mergeRunWrites(textWrite("never"), { step }) : textWrite("kept")),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(runs.map((run) => (run === bad ? "rejected" : "fulfilled")));
    expect(await textsOf(bad.runId)).toEqual([]);
    for (const run of runs.filter((run) => run !== bad)) expect(await textsOf(run.runId)).toEqual(["kept"]);
  });

  it("two batches holding the same runs in opposite orders both commit whole (one lock order, no deadlock)", async () => {
    const runs = await claimRuns(30);
    const firstBatch = runs.map((run) => applyRunWrite(run, textWrite("a")));
    // The next turn: a second batch, in flight with the first, over the same rows in reverse.
    await new Promise((resolve) => setImmediate(resolve));
    const secondBatch = [...runs].reverse().map((run) => applyRunWrite(run, textWrite("b")));
    await Promise.all([...firstBatch, ...secondBatch]);
    // Which batch the server started first is not defined, but one lock order means the
    // other waits for it at its first run: the same order in every run.
    const orders = new Set<string>();
    for (const run of runs) {
      const texts = await textsOf(run.runId);
      expect([...texts].sort()).toEqual(["a", "b"]);
      orders.add(texts.join(""));
    }
    expect(orders.size).toBe(1);
    // Two transactions: neither was aborted by a deadlock and replayed write by write.
    expect(await transactionsOf(runs.map((run) => run.runId))).toBe(2);
  });

  it("heartbeats due at once renew in one statement, each answering for its own run", async () => {
    const runs = await claimRuns(15);
    const [lost, cancelled] = [runs[2] as Identity, runs[9] as Identity];
    await database.query(`UPDATE "Run" SET "leaseOwner" = 'another-worker' WHERE id = $1`, [lost.runId]);
    await database.query(`UPDATE "Run" SET "cancelRequestedAt" = now() WHERE id = $1`, [cancelled.runId]);
    await database.query(`UPDATE "Run" SET "leaseExpiresAt" = now() WHERE id = ANY($1)`, [
      runs.map((run) => run.runId),
    ]);
    // Each run's heartbeat twice in one batch, as when the next came due while the last
    // waited for a restarting database: the same answer for both, never "lost".
    const twice = [...runs, ...runs];
    const renewals = await Promise.all(twice.map((run) => renewLease(run.runId, run.workerId, 60_000)));
    expect(renewals).toEqual(twice.map((run) => ({ held: run !== lost, cancelRequested: run === cancelled })));
    const rows = await database.query<{ id: string; renewed: boolean; xmin: string }>(
      `SELECT id, "leaseExpiresAt" > now() + interval '50 seconds' AS renewed, xmin::text AS xmin FROM "Run" WHERE id = ANY($1)`,
      [runs.map((run) => run.runId)],
    );
    for (const row of rows) expect(row.renewed, row.id).toBe(row.id !== lost.runId);
    // The lost run's lease is not extended for its old worker, and the renewals shared a transaction.
    expect(new Set(rows.filter((row) => row.id !== lost.runId).map((row) => row.xmin)).size).toBe(1);
  });

  it("subscribers reading at once get each run's own events after their own position", async () => {
    const runs = await claimRuns(20);
    for (const [index, run] of runs.entries()) {
      const events = Array.from({ length: 1 + (index % 4) }, (_, n) => `r${index} e${n}`);
      for (const text of events) await applyRunWrite(run, textWrite(text));
    }
    const reads = await Promise.all(
      runs.map((run, index) => listRunEvents(run.runId, 1 + (index % 3), index % 2 === 0 ? 500 : 1)),
    );
    for (const [index, run] of runs.entries()) {
      const [after, limit] = [1 + (index % 3), index % 2 === 0 ? 500 : 1];
      const stored = await database.query<{ seq: number; data: RunEventData }>(
        `SELECT seq, data FROM "RunEvent" WHERE "runId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [run.runId, after, limit],
      );
      expect(reads[index], `run ${index}`).toEqual(stored.map((row) => ({ runId: run.runId, ...row })));
    }
  });
});
