/**
 * RunEvent rows: appended by airlock_append_run_events (prisma/functions/), which allocates
 * per-run sequence numbers from Run.lastEventSeq in the same call, so any writer (engine,
 * reviewer, canceller) keeps the order, and a NOTIFY on RUN_EVENTS_CHANNEL wakes every
 * instance's subscribers when the transaction commits. The engine's own writes append
 * through airlock_write_run, which uses the same insert (airlock_insert_run_events).
 */
import type { RunEventData, RunEventRecord } from "../shared/run-events";
import { db } from "./client";
import { databaseSignal } from "./errors";
import { jsonText, sql } from "./sql-batch";
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

export async function listRunEvents(runId: string, afterSeq: number, limit = 500): Promise<RunEventRecord[]> {
  const rows = await db().runEvent.findMany({
    where: { runId, seq: { gt: afterSeq } },
    orderBy: { seq: "asc" },
    take: limit,
    select: { runId: true, seq: true, data: true },
  });
  return rows.map((row) => ({ runId: row.runId, seq: row.seq, data: row.data as unknown as RunEventData }));
}
