/**
 * Run rows: creation with the user's message, the lease-based job queue (claim,
 * heartbeat, release), and terminal transitions. A run is executed by whoever holds
 * its lease; a lease that is not renewed expires and any instance may claim the run.
 */

import type { RunStatus } from "../shared/run-events";
import { APPROVALS_CHANNEL } from "./approvals";
import { batchedCalls } from "./batched-calls";
import { db } from "./client";
import type { Prisma } from "./generated/client";
import { appendRunEvents, appendRunEventsStatement } from "./run-events";
import { queryOne, queryRows, refusedByServer, sql } from "./sql-batch";
import type { Transaction } from "./transaction";

export const RUNS_QUEUED_CHANNEL = "airlock_runs_queued";
export const RUN_CANCEL_CHANNEL = "airlock_run_cancel";

export const runSummarySelect = {
  id: true,
  conversationId: true,
  userId: true,
  status: true,
  modelId: true,
  stepCount: true,
  lastEventSeq: true,
  error: true,
  cancelRequestedAt: true,
  createdAt: true,
  finishedAt: true,
} satisfies Prisma.RunSelect;

export type RunSummary = Prisma.RunGetPayload<{ select: typeof runSummarySelect }>;

/**
 * The statuses of a run that is not finished: a conversation holds at most one such run
 * (airlock_queue_run refuses a second with the same list; the sql-constants test checks).
 */
export const ACTIVE_RUN_STATUSES = ["QUEUED", "RUNNING", "AWAITING_APPROVAL"] satisfies RunStatus[];

export async function notifyRunsQueued(tx: Transaction = db()): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${RUNS_QUEUED_CHANNEL}', '')`);
}

export async function findActiveRun(conversationId: string, tx: Transaction = db()): Promise<RunSummary | null> {
  return tx.run.findFirst({
    where: { conversationId, status: { in: ACTIVE_RUN_STATUSES } },
    orderBy: { createdAt: "desc" },
    select: runSummarySelect,
  });
}

/** The user's runs that are not finished (queued, running or waiting for a decision), oldest first. */
export async function findActiveRunIdsOfUser(userId: string, tx: Transaction = db()): Promise<string[]> {
  const rows = await tx.run.findMany({
    where: { userId, status: { in: ACTIVE_RUN_STATUSES } },
    orderBy: { id: "asc" },
    select: { id: true },
  });
  return rows.map((row) => row.id);
}

export async function findRun(runId: string, tx: Transaction = db()): Promise<RunSummary | null> {
  return tx.run.findUnique({ where: { id: runId }, select: runSummarySelect });
}

export interface ClaimedRun {
  id: string;
  /** The run was RUNNING under an expired lease: its worker died or stalled. */
  recovered: boolean;
  /** How often the run has been recovered, this claim included. */
  recoveries: number;
  /** Claims of the run so far, this one included. */
  attempts: number;
  /** Seconds from the run being queued to this claim. */
  queuedSeconds: number;
}

export interface ClaimOptions {
  /**
   * The runs the calling worker is running right now: one whose lease ran out because a
   * heartbeat stalled (a loaded machine) is still this worker's, and a second engine on
   * it, under the same worker id, would pass every lease check the first passes.
   */
  executing?: readonly string[];
  /** Take a fresh (QUEUED) run before a recovered one when both wait; see claimNextRun. */
  preferFresh?: boolean;
  /** Base of the doubling pause after the first recovery; 0 claims a run as soon as its lease expires. */
  recoveryBackoffMs?: number;
}

/** The longest pause recovery backoff ever imposes. */
export const MAX_RECOVERY_BACKOFF_MS = 60_000;

/**
 * Claims a runnable run: QUEUED, or RUNNING with an expired lease (its worker died). SKIP
 * LOCKED lets many workers claim concurrently without waiting on each other.
 *
 * Recovery is backed off and fair, so a crash loop cannot starve new work: a run
 * recovered once before is claimable only `recoveryBackoffMs * 2^(recoveries-1)` after
 * its lease expired (at most MAX_RECOVERY_BACKOFF_MS), and the worker alternates
 * `preferFresh`, so when both kinds wait, fresh and recovered runs are claimed in turn
 * (oldest first within each). The caller fails a run recovered too often (see
 * claimRunnableRun in agent/recovery.ts).
 */
export async function claimNextRun(
  workerId: string,
  leaseMs: number,
  options: ClaimOptions = {},
): Promise<ClaimedRun | null> {
  const rows = await db().$queryRawUnsafe<ClaimedRun[]>(
    `WITH candidate AS (
       SELECT id, status = 'RUNNING' AS recovered FROM "Run"
       WHERE (status = 'QUEUED'
              OR (status = 'RUNNING' AND "leaseExpiresAt" + CASE WHEN recoveries = 0 THEN interval '0'
                    ELSE least($4::float8 * power(2, least(recoveries - 1, 20)), $5::float8) * interval '1 millisecond' END
                  < now()))
         AND NOT (id = ANY($3::text[]))
       ORDER BY CASE WHEN $6 THEN status = 'RUNNING' ELSE status = 'QUEUED' END, "createdAt"
       LIMIT 1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE "Run" r SET status = 'RUNNING', "leaseOwner" = $1,
            "leaseExpiresAt" = now() + ($2::int * interval '1 millisecond'),
            attempts = r.attempts + 1, recoveries = r.recoveries + CASE WHEN candidate.recovered THEN 1 ELSE 0 END,
            "startedAt" = coalesce(r."startedAt", now()), "updatedAt" = now()
     FROM candidate WHERE r.id = candidate.id
     RETURNING r.id, candidate.recovered, r.recoveries, r.attempts,
               extract(epoch FROM now() - r."createdAt")::float8 AS "queuedSeconds"`,
    workerId,
    leaseMs,
    options.executing ?? [],
    options.recoveryBackoffMs ?? 0,
    MAX_RECOVERY_BACKOFF_MS,
    options.preferFresh ?? true,
  );
  return rows[0] ?? null;
}

export interface LeaseRenewal {
  /** False: this worker no longer owns the run and must stop. */
  held: boolean;
  /** Someone asked to cancel the run (a cancel NOTIFY can be missed across a reconnect; the row is the truth). */
  cancelRequested: boolean;
}

interface LeaseToRenew {
  runId: string;
  workerId: string;
  leaseMs: number;
}

const RENEW_ONE = `UPDATE "Run" SET "leaseExpiresAt" = now() + ($3::int * interval '1 millisecond')
  WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'
  RETURNING "cancelRequestedAt" IS NOT NULL AS "cancelRequested"`;
const RENEW_MANY = `UPDATE "Run" r SET "leaseExpiresAt" = now() + (w."leaseMs" * interval '1 millisecond')
  FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS w(id, "workerId", "leaseMs", position)
  WHERE r.id = w.id AND r."leaseOwner" = w."workerId" AND r.status = 'RUNNING'
  RETURNING w.position, r."cancelRequestedAt" IS NOT NULL AS "cancelRequested"`;

const leaseKey = (lease: LeaseToRenew) => `${lease.runId}\u0000${lease.workerId}`;

async function renewOne(lease: LeaseToRenew): Promise<LeaseRenewal> {
  const row = await queryOne<{ cancelRequested: boolean }>(
    RENEW_ONE,
    [lease.runId, lease.workerId, lease.leaseMs],
    "airlock_renew_lease",
  );
  return { held: row !== null, cancelRequested: row?.cancelRequested === true };
}

/**
 * Heartbeats due while one is in flight go together, as one statement on the raw pool:
 * a busy instance's renewals neither wait in the Prisma pool's queue behind the runs'
 * transactions nor add one round trip each. A batch the server refuses (a deadlock with
 * a writer of a run this worker lost) is renewed lease by lease.
 */
const renewLeases = batchedCalls<LeaseToRenew, LeaseRenewal>({
  maxInFlight: 1,
  maxBatch: 500,
  one: renewOne,
  async many(leases) {
    // One row per run: a heartbeat that came due again while the last one waited (a slow
    // or restarting database) is the same renewal. UPDATE … FROM updates a row once and
    // returns it once, so a duplicate would read as a lost lease and stop the run.
    const unique = new Map<string, LeaseToRenew>();
    for (const lease of leases) {
      const key = leaseKey(lease);
      const known = unique.get(key);
      if (!known || known.leaseMs < lease.leaseMs) unique.set(key, lease);
    }
    const distinct = [...unique.values()];
    const rows = await queryRows<{ position: string; cancelRequested: boolean }>(
      RENEW_MANY,
      [
        distinct.map((lease) => lease.runId),
        distinct.map((lease) => lease.workerId),
        distinct.map((lease) => lease.leaseMs),
      ],
      "airlock_renew_leases",
    );
    const renewed = new Map<string, boolean>();
    for (const row of rows)
      renewed.set(leaseKey(distinct[Number(row.position) - 1] as LeaseToRenew), row.cancelRequested);
    return leases.map((lease) => {
      const key = leaseKey(lease);
      return { value: { held: renewed.has(key), cancelRequested: renewed.get(key) === true } };
    });
  },
  retryAlone: refusedByServer,
});

/**
 * Extends the lease and reads whether the run was asked to stop, in one statement
 * (shared with the other runs' heartbeats due meanwhile): every running run does this
 * every third of its lease.
 */
export async function renewLease(runId: string, workerId: string, leaseMs: number): Promise<LeaseRenewal> {
  return renewLeases({ runId, workerId, leaseMs });
}

/**
 * Moves a run this worker holds to a new status and releases the lease, with its
 * status event, in the caller's transaction. Returns false when the lease was lost.
 *
 * Suspending is the one transition that can race a person: a reviewer may decide a
 * call after the engine read it as AWAITING_APPROVAL but before the run is suspended;
 * requeueRun() then finds the run still RUNNING and does nothing, and the run would
 * wait forever for a decision already made. So a run whose calls no longer await any
 * decision is queued instead of suspended. The first UPDATE takes the run's row lock
 * and the check is a separate statement, so it sees every decision committed by a
 * decider that locked the run first (lockRun()).
 */
export async function transitionRun(options: {
  runId: string;
  workerId: string;
  status: RunStatus;
  error?: string;
  tx: Transaction;
}): Promise<boolean> {
  const terminal = options.status === "COMPLETED" || options.status === "FAILED" || options.status === "CANCELLED";
  const count = await options.tx.$executeRawUnsafe(
    `UPDATE "Run" SET status = $3::"RunStatus", error = $4, "leaseOwner" = NULL, "leaseExpiresAt" = NULL,
            "finishedAt" = CASE WHEN $5 THEN now() ELSE NULL END, "updatedAt" = now()
     WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'`,
    options.runId,
    options.workerId,
    options.status,
    options.error ?? null,
    terminal,
  );
  if (count !== 1) return false;
  if (options.status === "AWAITING_APPROVAL" && !(await hasCallsAwaitingDecision(options.runId, options.tx))) {
    await options.tx.run.update({ where: { id: options.runId }, data: { status: "QUEUED" }, select: { id: true } });
    await appendRunEvents(options.runId, [{ type: "run-status", status: "QUEUED" }], options.tx);
    await notifyRunsQueued(options.tx);
    return true;
  }
  await appendRunEvents(
    options.runId,
    [{ type: "run-status", status: options.status, ...(options.error ? { error: options.error } : {}) }],
    options.tx,
  );
  // A run handed back (its worker is stopping) is claimed by another worker at once.
  if (options.status === "QUEUED") await notifyRunsQueued(options.tx);
  return true;
}

async function hasCallsAwaitingDecision(runId: string, tx: Transaction): Promise<boolean> {
  const waiting = await tx.toolCall.findFirst({ where: { runId, status: "AWAITING_APPROVAL" }, select: { id: true } });
  return waiting !== null;
}

/**
 * Locks a run's row for the rest of the caller's transaction. Whoever decides on a
 * suspended run's calls (an approval, a rejection) takes it before changing them, so
 * the decision and the engine's suspend are ordered: see transitionRun().
 */
export async function lockRun(runId: string, tx: Transaction): Promise<void> {
  await tx.$queryRawUnsafe(`SELECT id FROM "Run" WHERE id = $1 FOR UPDATE`, runId);
}

/**
 * Cancels a run. A queued or waiting run is cancelled here and now; a running one gets
 * cancelRequestedAt and a NOTIFY, and its worker aborts and records what it produced.
 */
export async function requestRunCancel(
  runId: string,
  tx: Transaction,
  why = "The run was cancelled.",
): Promise<RunStatus> {
  const rows = await tx.$queryRawUnsafe<{ status: RunStatus }[]>(
    `UPDATE "Run" SET
       status = CASE WHEN status IN ('QUEUED', 'AWAITING_APPROVAL') THEN 'CANCELLED'::"RunStatus" ELSE status END,
       "finishedAt" = CASE WHEN status IN ('QUEUED', 'AWAITING_APPROVAL') THEN now() ELSE "finishedAt" END,
       "cancelRequestedAt" = coalesce("cancelRequestedAt", now()), "updatedAt" = now()
     WHERE id = $1 AND status IN ('QUEUED', 'RUNNING', 'AWAITING_APPROVAL')
     RETURNING status`,
    runId,
  );
  const status = rows[0]?.status;
  if (!status) return (await findRun(runId, tx))?.status ?? "CANCELLED";
  if (status === "CANCELLED") {
    await tx.toolCall.updateMany({
      where: { runId, status: { in: ["PENDING", "AWAITING_APPROVAL", "APPROVED"] } },
      data: { status: "CANCELLED", finishedAt: new Date(), error: why },
    });
    // Requests for a cancelled run leave the inbox; an approved one can no longer be consumed.
    await tx.approvalRequest.updateMany({
      where: { runId, status: { in: ["PENDING", "APPROVED"] } },
      data: { status: "CANCELLED", decisionReason: why, decidedAt: new Date() },
    });
    await tx.$executeRawUnsafe(`SELECT pg_notify('${APPROVALS_CHANNEL}', $1)`, runId);
    await appendRunEvents(runId, [{ type: "run-status", status: "CANCELLED" }], tx);
  } else {
    await tx.$executeRawUnsafe(`SELECT pg_notify('${RUN_CANCEL_CHANNEL}', $1)`, runId);
  }
  return status;
}

/** Puts a suspended run back in the queue (an approval was decided). */
export async function requeueRun(runId: string, tx: Transaction): Promise<boolean> {
  const count = await tx.run.updateMany({
    where: { id: runId, status: "AWAITING_APPROVAL" },
    data: { status: "QUEUED" },
  });
  if (count.count !== 1) return false;
  await appendRunEvents(runId, [{ type: "run-status", status: "QUEUED" }], tx);
  await notifyRunsQueued(tx);
  return true;
}

/**
 * The statements that queue a run for a message (see prisma/functions/airlock_queue_run.sql),
 * for one round trip. Its refusals arrive as RunBusyError and ConversationNotFoundError
 * through databaseSignal (server/db/errors.ts).
 */
export function queueRunStatements(run: {
  id: string;
  conversationId: string;
  ownerId: string;
  modelId: string;
  text: string;
  title: string;
}): string[] {
  return [
    sql(
      `SELECT "airlock_queue_run"($1, $2, $3, $4, $5, $6)`,
      run.id,
      run.conversationId,
      run.ownerId,
      run.modelId,
      run.text,
      run.title,
    ),
    appendRunEventsStatement(run.id, [{ type: "run-status", status: "QUEUED" }]) as string,
    `SELECT pg_notify('${RUNS_QUEUED_CHANNEL}', '')`,
  ];
}

export interface AbandonedCall {
  id: string;
  toolName: string;
  stepIndex: number;
  status: "UNKNOWN_OUTCOME" | "CANCELLED";
}

/**
 * Fails a run this worker just claimed, in the caller's transaction, instead of resuming
 * it (it was recovered too often). Its unfinished calls end with it: one that was RUNNING
 * and is not a READ may have taken effect, so it becomes UNKNOWN_OUTCOME (shown to
 * reviewers), never CANCELLED; the rest are CANCELLED. Returns the calls so changed, or
 * null when the lease was lost.
 */
export async function failAbandonedRun(options: {
  runId: string;
  workerId: string;
  /** The run's error, told which calls ended with it. */
  error: (calls: AbandonedCall[]) => string;
  tx: Transaction;
}): Promise<AbandonedCall[] | null> {
  const { runId, tx } = options;
  const calls = await tx.$queryRawUnsafe<AbandonedCall[]>(
    `UPDATE "ToolCall" tc SET
       status = CASE WHEN tc.status = 'RUNNING' AND tc."riskClass" IS DISTINCT FROM 'READ'
                     THEN 'UNKNOWN_OUTCOME'::"ToolCallStatus" ELSE 'CANCELLED'::"ToolCallStatus" END,
       error = CASE WHEN tc.status = 'RUNNING' AND tc."riskClass" IS DISTINCT FROM 'READ'
                    THEN 'The worker stopped while this call was running; it may have taken effect.'
                    ELSE 'Cancelled: the run was stopped before this call finished.' END,
       "finishedAt" = now()
     FROM "Step" s
     WHERE s.id = tc."stepId" AND tc."runId" = $1 AND tc.status IN ('PENDING', 'APPROVED', 'RUNNING')
       AND EXISTS (SELECT 1 FROM "Run" r WHERE r.id = $1 AND r."leaseOwner" = $2 AND r.status = 'RUNNING')
     RETURNING tc.id, tc."toolName", s.index AS "stepIndex", tc.status::text AS status`,
    runId,
    options.workerId,
  );
  if (calls.length > 0) {
    await appendRunEvents(
      runId,
      calls.map((call) => ({
        type: "tool-call-updated" as const,
        stepIndex: call.stepIndex,
        toolCallId: call.id,
        status: call.status,
        error:
          call.status === "UNKNOWN_OUTCOME"
            ? "The worker stopped while this call was running; it may have taken effect."
            : "Cancelled: the run was stopped before this call finished.",
      })),
      tx,
    );
  }
  const moved = await transitionRun({
    runId,
    workerId: options.workerId,
    status: "FAILED",
    error: options.error(calls),
    tx,
  });
  return moved ? calls : null;
}
