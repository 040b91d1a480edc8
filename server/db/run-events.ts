/**
 * RunEvent rows: appended by airlock_append_run_events (prisma/functions/), which allocates
 * per-run sequence numbers from Run.lastEventSeq in the same call, so any writer (engine,
 * reviewer, canceller) keeps the order, and a NOTIFY on RUN_EVENTS_CHANNEL wakes every
 * instance's subscribers when the transaction commits. The engine's own writes append
 * through airlock_write_run, which uses the same insert (airlock_insert_run_events).
 */
import type { RunEventData, RunEventRecord } from "../shared/run-events";
import { batchedCalls } from "./batched-calls";
import { db } from "./client";
import { databaseSignal } from "./errors";
import { jsonText, queryRows, sql } from "./sql-batch";
import type { Transaction } from "./transaction";

/** NOTIFY channel: a run has new events (payload: the run id). Raised by airlock_insert_run_events. */
export const RUN_EVENTS_CHANNEL = "airlock_run_events";

const APPEND = `SELECT "airlock_append_run_events"($1, $2::jsonb) AS last`;

/**
 * Appends the events to the run (see prisma/functions/airlock_append_run_events.sql);
 * returns the last sequence number. RunNotFoundError for a run that does not exist.
 */
export async function appendRunEvents(runId: string, events: RunEventData[], tx: Transaction = db()): Promise<number> {
  if (events.length === 0) return 0;
  try {
    const rows = await tx.$queryRawUnsafe<{ last: number }[]>(APPEND, runId, jsonText(events));
    return rows[0]?.last as number;
  } catch (error) {
    throw databaseSignal(error);
  }
}

/** The same append as one SQL statement, for the engine's one-round-trip transactions. */
export function appendRunEventsStatement(runId: string, events: RunEventData[]): string | null {
  if (events.length === 0) return null;
  return sql(APPEND, runId, jsonText(events));
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

interface EventsAfter {
  runId: string;
  afterSeq: number;
  limit: number;
}

const LIST_ONE = `SELECT seq, data FROM "RunEvent" WHERE "runId" = $1 AND seq > $2 ORDER BY seq LIMIT $3`;
const LIST_MANY = `SELECT w.position, e.seq, e.data
  FROM unnest($1::text[], $2::int[], $3::int[]) WITH ORDINALITY AS w("runId", after, "limit", position)
  CROSS JOIN LATERAL (
    SELECT seq, data FROM "RunEvent" r WHERE r."runId" = w."runId" AND r.seq > w.after ORDER BY r.seq LIMIT w."limit"
  ) e
  ORDER BY w.position, e.seq`;

/**
 * Subscribers woken by the same commits read together: one query for every run whose
 * stream asked meanwhile (a NOTIFY wakes many at once under load), one for a lone one.
 */
const listEventsAfter = batchedCalls<EventsAfter, RunEventRecord[]>({
  maxInFlight: 2,
  maxBatch: 200,
  async one(read) {
    const rows = await queryRows<{ seq: number; data: RunEventData }>(
      LIST_ONE,
      [read.runId, read.afterSeq, read.limit],
      "airlock_list_run_events",
    );
    return rows.map((row) => ({ runId: read.runId, seq: row.seq, data: row.data }));
  },
  async many(reads) {
    const rows = await queryRows<{ position: string; seq: number; data: RunEventData }>(
      LIST_MANY,
      [reads.map((read) => read.runId), reads.map((read) => read.afterSeq), reads.map((read) => read.limit)],
      "airlock_list_runs_events",
    );
    const events = reads.map((): RunEventRecord[] => []);
    for (const row of rows) {
      const index = Number(row.position) - 1;
      events[index]?.push({ runId: (reads[index] as EventsAfter).runId, seq: row.seq, data: row.data });
    }
    return events.map((value) => ({ value }));
  },
});

/** The run's events after `afterSeq`, in order, at most `limit`. */
export async function listRunEvents(runId: string, afterSeq: number, limit = 500): Promise<RunEventRecord[]> {
  try {
    return await listEventsAfter({ runId, afterSeq, limit });
  } catch (error) {
    throw databaseSignal(error);
  }
}
