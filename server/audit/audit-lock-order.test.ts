/**
 * The audit chain's lock is one for the whole database and is held until commit, so a
 * transaction must take it last: one that held it and then waited for a row, while the
 * row's holder waited for the chain, was a deadlock (40P01) that failed one of them (a
 * run FAILED "an error on the server" in the chaos campaign). Each test makes the two
 * opposite orders meet for real — on the old order every one of them ended in 40P01.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../db/audit-events";
import { db } from "../db/client";
import { emptyRunWrite, mergeRunWrites } from "../db/run-write";
import { inTransaction } from "../db/transaction";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { claimTestRun, createTestUser } from "../testing/fixtures";
import { auditRecord, recordAuditEvent, verifyAuditChain } from "./record-audit-event";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  // Deadlocks are found after deadlock_timeout (1 s by default): a test that would
  // deadlock fails fast; one that does not is not slowed down.
  await database.query(`ALTER DATABASE "${database.name}" SET deadlock_timeout = '100ms'`);
});
afterAll(async () => database?.drop());

function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

/** Resolves once some backend waits for a lock while running a statement that contains `text`. */
async function someoneWaitsForALock(text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await database.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [text],
    );
    if ((row?.waiting ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`nothing waited for a lock in "${text}"`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const event = (targetId: string) => ({ actorId: null, action: "test.lock-order", targetType: "test", targetId });

describe("the audit chain's lock is taken last", () => {
  it("two transactions that audit and update the same row, in opposite orders, both commit", async () => {
    const user = await createTestUser();
    const touch = `UPDATE "User" SET name = name WHERE id = '${user.id}'`;
    const firstAudited = signal();
    const secondHoldsTheRow = signal();
    const first = inTransaction(async (tx) => {
      await recordAuditEvent(tx, event("audits, then updates"));
      firstAudited.fire();
      await secondHoldsTheRow.promise;
      await tx.$executeRawUnsafe(touch);
    });
    const second = inTransaction(async (tx) => {
      await tx.$executeRawUnsafe(touch);
      secondHoldsTheRow.fire();
      await firstAudited.promise;
      await someoneWaitsForALock(touch); // the first now waits for this row
      await recordAuditEvent(tx, event("updates, then audits"));
    });
    await expect(Promise.all([first, second])).resolves.toBeDefined();
    const rows = await database.query<{ targetId: string }>(
      `SELECT "targetId" FROM "AuditEvent" WHERE action = 'test.lock-order' ORDER BY id`,
    );
    // The second committed first: its event is the older one in the chain.
    expect(rows.map((row) => row.targetId)).toEqual(["updates, then audits", "audits, then updates"]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("a batch of runs' writes with audits and a transaction that holds one of those runs and audits both commit", async () => {
    const runs = [(await claimTestRun()).identity, (await claimTestRun()).identity].sort((a, b) =>
      a.runId < b.runId ? -1 : 1,
    );
    const [lower, higher] = runs as [(typeof runs)[number], (typeof runs)[number]];
    const audit = (runId: string): AuditRecord => auditRecord({ ...event(runId), data: { id: randomUUID() } });
    const writes = runs.map((run) => ({
      ...run,
      ...mergeRunWrites(emptyRunWrite(), {
        events: [{ type: "text-delta", stepIndex: 0, text: "x" }],
        audits: [audit(run.runId)],
      }),
    }));
    const holderHasTheRun = signal();
    const holder = inTransaction(async (tx) => {
      await tx.$executeRawUnsafe(`UPDATE "Run" SET "updatedAt" = now() WHERE id = '${higher.runId}'`);
      holderHasTheRun.fire();
      // The batch has written the lower run and waits for this one's row.
      await someoneWaitsForALock("airlock_write_runs");
      await recordAuditEvent(tx, event("holder"));
    });
    await holderHasTheRun.promise;
    const batch = database.query<{ lost: number[] }>(`SELECT "airlock_write_runs"($1::jsonb) AS lost`, [
      JSON.stringify(writes),
    ]);
    await expect(holder).resolves.toBeUndefined();
    expect((await batch)[0]?.lost).toEqual([]);
    const rows = await database.query<{ targetId: string }>(
      `SELECT "targetId" FROM "AuditEvent" WHERE action = 'test.lock-order' AND "targetId" = ANY($1) ORDER BY id`,
      [["holder", lower.runId, higher.runId]],
    );
    expect(rows.map((row) => row.targetId)).toEqual(["holder", lower.runId, higher.runId]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("an audit event recorded outside inTransaction() is refused, not lost", async () => {
    await expect(db().$transaction((tx) => recordAuditEvent(tx, event("outside")))).rejects.toThrow(/inTransaction/);
  });
});
