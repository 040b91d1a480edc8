/**
 * RunEvent rows: appended with per-run sequence numbers allocated from Run.lastEventSeq in
 * the same statement, so any writer (engine, reviewer, canceller) keeps the order, and a
 * NOTIFY wakes every instance's subscribers when the transaction commits.
 */
import type { RunEventData, RunEventRecord } from "../shared/run-events";
import { db } from "./client";
import { jsonb, literal } from "./sql-batch";
import type { Transaction } from "./transaction";

export const RUN_EVENTS_CHANNEL = "airlock_run_events";

export async function appendRunEvents(runId: string, events: RunEventData[], tx: Transaction = db()): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await tx.$queryRawUnsafe<{ last: number }[]>(
    `WITH bumped AS (
       UPDATE "Run" SET "lastEventSeq" = "lastEventSeq" + $2 WHERE id = $1 RETURNING "lastEventSeq"
     ), inserted AS (
       INSERT INTO "RunEvent" ("runId", seq, type, data)
       SELECT $1, bumped."lastEventSeq" - $2 + e.ordinality, e.type, e.data::jsonb
       FROM bumped, unnest($3::text[], $4::text[]) WITH ORDINALITY AS e(type, data, ordinality)
       RETURNING seq
     )
     SELECT (SELECT max(seq) FROM inserted)::int AS last, pg_notify('${RUN_EVENTS_CHANNEL}', $1)::text AS notified`,
    runId,
    events.length,
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event)),
  );
  const last = rows[0]?.last;
  if (last === undefined || last === null) throw new Error(`Run ${runId} does not exist`);
  return last;
}

/** The same append as one SQL statement, for the engine's one-round-trip transactions. */
export function appendRunEventsStatement(runId: string, events: RunEventData[]): string | null {
  if (events.length === 0) return null;
  const types = `ARRAY[${events.map((event) => literal(event.type)).join(",")}]::text[]`;
  const datas = `ARRAY[${events.map((event) => literal(jsonb(event))).join(",")}]::jsonb[]`;
  return `WITH bumped AS (
       UPDATE "Run" SET "lastEventSeq" = "lastEventSeq" + ${events.length} WHERE id = ${literal(runId)} RETURNING "lastEventSeq"
     ), inserted AS (
       INSERT INTO "RunEvent" ("runId", seq, type, data)
       SELECT ${literal(runId)}, bumped."lastEventSeq" - ${events.length} + e.ordinality, e.type, e.data
       FROM bumped, unnest(${types}, ${datas}) WITH ORDINALITY AS e(type, data, ordinality)
       RETURNING seq
     )
     SELECT (SELECT max(seq) FROM inserted)::int AS last, pg_notify('${RUN_EVENTS_CHANNEL}', ${literal(runId)})::text AS notified`;
}

/** The events of one step that make up its text (see shared/step-text.ts), in order. */
export async function listStepTextEvents(runId: string, stepIndex: number): Promise<RunEventData[]> {
  const rows = await db().$queryRawUnsafe<{ data: RunEventData }[]>(
    `SELECT data FROM "RunEvent"
     WHERE "runId" = $1 AND type IN ('step-started', 'step-resumed', 'text-delta') AND (data->>'stepIndex')::int = $2
     ORDER BY seq`,
    runId,
    stepIndex,
  );
  return rows.map((row) => row.data);
}

export async function listRunEvents(runId: string, afterSeq: number, limit = 500): Promise<RunEventRecord[]> {
  const rows = await db().runEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
    select: { runId: true, seq: true, data: true },
  });
  return rows.map((row) => ({ runId: row.runId, seq: row.seq, data: row.data as unknown as RunEventData }));
}
