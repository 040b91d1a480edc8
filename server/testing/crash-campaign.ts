/**
 * The parent side of a crash test: queues runs that follow crash plans, approves their
 * destructive calls like a reviewer would, and runs worker child processes that it
 * kill -9s at random moments (from a seeded PRNG) and restarts, until every run is
 * terminal. What each kill interrupted is recorded for the summary.
 *
 * A kill lands after the worker has written a random number of run events, not after a
 * random number of milliseconds: on a loaded machine the runs slow down as much as the
 * kills, so a campaign sized to outlast its kills does so however fast the machine is,
 * and makes exactly the kills it was asked for. And the moment is counted from the
 * worker's first claim, so a kill (other than the early ones, which hit a starting
 * worker on purpose) always finds the worker holding work.
 */
import pg from "pg";
import { decideApproval } from "../approvals/decide-approval";
import { appendRunEvents } from "../db/run-events";
import { lockRun, requeueRun } from "../db/runs";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { TERMINAL_RUN_STATUSES } from "../shared/run-events";
import { createToolRegistry, type ToolRegistry } from "../tools/registry";
import type { QueuedCrashRun } from "./crash-checks";
import { formatCrashPlan, randomCrashPlan } from "./crash-plan";
import { type CrashWorkerProcess, spawnCrashWorker } from "./crash-process";
import type { CrashWorkerConfig } from "./crash-worker";
import { createTestConversation, createTestUser, sendTestMessage } from "./fixtures";
import { createLedgerTools, LEDGER_TABLES_SQL } from "./ledger-tools";
import { createSeededRandom, type SeededRandom } from "./seeded-random";

export interface CrashDatabase {
  url: string;
  pool: pg.Pool;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** The application_name of the campaign's own connections (as pg_stat_activity shows them). */
export const CRASH_CAMPAIGN_APPLICATION = "airlock-crash-campaign";

/** A pg pool on the test database (db() must already point there), with the ledger tables. */
export async function openCrashDatabase(url: string): Promise<CrashDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: CRASH_CAMPAIGN_APPLICATION });
  // An idle connection the server drops (a restart, a terminated backend) is an 'error'
  // event on the pool; unheard, it is an uncaught exception that kills the whole campaign.
  // The pool replaces the connection; a query that needed it fails and says so.
  pool.on("error", () => {});
  await pool.query(LEDGER_TABLES_SQL);
  return {
    url,
    pool,
    query: async (sql, values) => (await pool.query(sql, values as unknown[])).rows,
    close: () => pool.end(),
  };
}

/** One conversation per run: a conversation has one active run at a time. */
export async function queueCrashRuns(options: {
  count: number;
  random: SeededRandom;
  plan?: QueuedCrashRun["plan"];
}): Promise<QueuedCrashRun[]> {
  const user = await createTestUser();
  const runs: QueuedCrashRun[] = [];
  for (let index = 0; index < options.count; index++) {
    const plan = options.plan ?? randomCrashPlan(options.random);
    const conversation = await createTestConversation(user.id);
    runs.push({ runId: await sendTestMessage(user.id, conversation.id, formatCrashPlan(plan)), plan });
  }
  return runs;
}

const ledgerRegistries = new WeakMap<CrashDatabase, ToolRegistry>();

/** The ledger tools as the parent sees them: only their definitions (for versions), never run here. */
function ledgerToolRegistry(database: CrashDatabase): ToolRegistry {
  let registry = ledgerRegistries.get(database);
  if (!registry) {
    registry = createToolRegistry(
      createLedgerTools({ pool: database.pool, random: createSeededRandom(0), maxDelayMs: 0 }),
    );
    ledgerRegistries.set(database, registry);
  }
  return registry;
}

/**
 * One pass of a reviewer over every call that waits for approval. When the engine filed
 * an ApprovalRequest for a call, it is approved through the real approvals service by
 * `reviewerId` (a REVIEWER who is not the requester). A call waiting without a request
 * (the engine before it files requests) is approved at the row level: the call becomes
 * APPROVED and the run is requeued, with the run locked first as every decider must
 * (see transitionRun). Returns how many calls were approved.
 */
export async function approveWaitingCalls(database: CrashDatabase, reviewerId: string): Promise<number> {
  const waiting = await database.query<{ runId: string; requestId: string | null }>(
    `SELECT tc."runId", ar.id AS "requestId"
     FROM "ToolCall" tc LEFT JOIN "ApprovalRequest" ar ON ar."toolCallId" = tc.id AND ar.status = 'PENDING'
     WHERE tc.status = 'AWAITING_APPROVAL'`,
  );
  let approved = 0;
  const tools = ledgerToolRegistry(database);
  for (const { requestId } of waiting) {
    if (!requestId) continue;
    try {
      await decideApproval({ requestId, reviewerId, decision: { verdict: "approve" }, tools });
      approved++;
    } catch (error) {
      // A cancelled run or an earlier pass got there first; the next pass sees the truth.
      if (!(error instanceof AirlockError && error.code === "approval:already-decided")) throw error;
    }
  }
  for (const runId of new Set(waiting.filter((row) => !row.requestId).map((row) => row.runId))) {
    approved += await approveCallsWithoutRequest(runId);
  }
  return approved;
}

function approveCallsWithoutRequest(runId: string): Promise<number> {
  return inTransaction(async (tx) => {
    await lockRun(runId, tx);
    const approved = await tx.$queryRawUnsafe<{ id: string; stepIndex: number }[]>(
      `UPDATE "ToolCall" tc SET status = 'APPROVED' FROM "Step" s
       WHERE s.id = tc."stepId" AND tc."runId" = $1 AND tc.status = 'AWAITING_APPROVAL'
         AND NOT EXISTS (SELECT 1 FROM "ApprovalRequest" ar WHERE ar."toolCallId" = tc.id)
       RETURNING tc.id, s.index AS "stepIndex"`,
      runId,
    );
    if (approved.length === 0) return 0;
    await appendRunEvents(
      runId,
      approved.map((call) => ({
        type: "tool-call-updated" as const,
        stepIndex: call.stepIndex,
        toolCallId: call.id,
        status: "APPROVED" as const,
      })),
      tx,
    );
    await requeueRun(runId, tx);
    return approved.length;
  });
}

export interface Approver {
  approvals(): number;
  /** The first error a decision raised, if any; stop() throws it. */
  failure(): unknown;
  stop(): Promise<void>;
}

/** Plays the reviewer until stopped: approveWaitingCalls() every `intervalMs`. */
export function startApprover(database: CrashDatabase, intervalMs = 25): Approver {
  let approvals = 0;
  let stopped = false;
  let reviewerId: string | undefined;
  // A failing decision must fail the test, not silently leave runs waiting forever.
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      try {
        reviewerId ??= (await createTestUser("REVIEWER")).id;
        approvals += await approveWaitingCalls(database, reviewerId);
      } catch (error) {
        failure ??= error;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    approvals: () => approvals,
    failure: () => failure,
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
    },
  };
}

/** How many run events `runIds` have so far: the campaign's measure of progress. */
export async function countRunEvents(database: CrashDatabase, runIds: string[]): Promise<number> {
  const rows = await database.query<{ events: number }>(
    `SELECT count(*)::int AS events FROM "RunEvent" WHERE "runId" = ANY($1)`,
    [runIds],
  );
  return rows[0]?.events ?? 0;
}

/**
 * Waits `ms`, or until `runIds` have `events` more run events than `from`, whichever comes
 * first: "moment" then. "finished" when every run is terminal (nothing is left to interrupt).
 */
export async function waitForKillMoment(options: {
  database: CrashDatabase;
  runIds: string[];
  from: number;
  events: number;
  ms: number;
  failure: () => unknown;
}): Promise<"moment" | "finished"> {
  const until = Date.now() + options.ms;
  for (;;) {
    if ((await countUnfinished(options.database, options.runIds)) === 0) return "finished";
    const problem = options.failure();
    if (problem) throw problem;
    if (Date.now() >= until) return "moment";
    if ((await countRunEvents(options.database, options.runIds)) >= options.from + options.events) return "moment";
    await new Promise((resolve) => setTimeout(resolve, Math.min(10, Math.max(1, until - Date.now()))));
  }
}

/**
 * Waits until the worker holds a running run ("held") or every run is terminal
 * ("finished"). A kill's moment is counted from then: on a loaded machine a worker may
 * claim nothing for the first second after it is ready, and a kill that lands before its
 * first claim interrupts nothing.
 */
export async function waitForHeldRun(options: {
  database: CrashDatabase;
  workerId: string;
  runIds: string[];
  deadline: number;
  failure: () => unknown;
}): Promise<"held" | "finished"> {
  for (;;) {
    if ((await countUnfinished(options.database, options.runIds)) === 0) return "finished";
    const [held] = await options.database.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM "Run" WHERE "leaseOwner" = $1 AND status = 'RUNNING' AND id = ANY($2)`,
      [options.workerId, options.runIds],
    );
    if ((held?.count ?? 0) > 0) return "held";
    const problem = options.failure();
    if (problem) throw problem;
    if (Date.now() >= options.deadline)
      throw new Error(`worker ${options.workerId} claimed no run before the deadline`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function countUnfinished(database: CrashDatabase, runIds: string[]): Promise<number> {
  const rows = await database.query<{ unfinished: number }>(
    `SELECT count(*)::int AS unfinished FROM "Run" WHERE id = ANY($1) AND NOT (status::text = ANY($2))`,
    [runIds, [...TERMINAL_RUN_STATUSES]],
  );
  return rows[0]?.unfinished ?? runIds.length;
}

/**
 * Waits until every run is terminal (true) or `ms` pass (false). `failure` is checked on
 * each poll so that a broken approver fails the wait at once instead of at the timeout.
 */
export async function waitForTerminal(
  database: CrashDatabase,
  runIds: string[],
  ms: number,
  failure: () => unknown = () => undefined,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await countUnfinished(database, runIds)) === 0) return true;
    const problem = failure();
    if (problem) throw problem;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(25, Math.max(1, deadline - Date.now()))));
  }
}

export async function describeUnfinished(database: CrashDatabase, runIds: string[]): Promise<string> {
  const rows = await database.query<{ id: string; status: string; leaseOwner: string | null; calls: string }>(
    `SELECT r.id, r.status, r."leaseOwner",
            coalesce(string_agg(tc."toolName" || '=' || tc.status, ', '), '') AS calls
     FROM "Run" r LEFT JOIN "ToolCall" tc ON tc."runId" = r.id
     WHERE r.id = ANY($1) AND NOT (r.status::text = ANY($2))
     GROUP BY r.id`,
    [runIds, [...TERMINAL_RUN_STATUSES]],
  );
  return rows.map((row) => `  ${row.id} ${row.status} lease=${row.leaseOwner} calls: ${row.calls}`).join("\n");
}

/** What one kill caught in flight: runs the dead worker held, and tool calls it had started. */
export interface KillRecord {
  workerId: string;
  /** When it landed: `ms` after the spawn (before ready), or after ready at `ms` or `events` more run events, whichever came first. */
  after: { ms: number; events?: number };
  beforeReady: boolean;
  runs: string[];
  runningCalls: { runId: string; toolCallId: string; toolName: string }[];
}

export async function recordKill(
  database: CrashDatabase,
  worker: CrashWorkerProcess,
  after: KillRecord["after"],
  beforeReady: boolean,
): Promise<KillRecord> {
  const runs = await database.query<{ id: string }>(
    `SELECT id FROM "Run" WHERE "leaseOwner" = $1 AND status = 'RUNNING'`,
    [worker.workerId],
  );
  const runningCalls = await database.query<{ runId: string; toolCallId: string; toolName: string }>(
    `SELECT tc."runId", tc.id AS "toolCallId", tc."toolName" FROM "ToolCall" tc JOIN "Run" r ON r.id = tc."runId"
     WHERE r."leaseOwner" = $1 AND tc.status = 'RUNNING'`,
    [worker.workerId],
  );
  return { workerId: worker.workerId, after, beforeReady, runs: runs.map((run) => run.id), runningCalls };
}

/**
 * The campaign the test suite runs; the soak script uses the same settings with more
 * runs and kills, so `npm run soak:crash -- --seed N --runs R --kills K` replays a test
 * campaign from its printed seed.
 */
export const CRASH_CAMPAIGN_DEFAULTS = {
  concurrency: 8,
  leaseMs: 1_000,
  // The runs must still be going when the last kill lands. Time alone does not ensure it
  // (a fast machine finishes the runs between few kills), so a kill also lands once the
  // runs have written killAfterEvents more run events (most streamed tokens are one):
  // between two kills the runs progress at most that far, so a campaign whose runs write
  // more than K * killAfterEvents[1] events in all makes all K kills, however fast.
  killDelayMs: [80, 700] as [number, number],
  killAfterEvents: [20, 100] as [number, number],
  earlyKillShare: 0.1,
  maxTokenDelayMs: 15,
  maxToolDelayMs: 30,
};

export interface CampaignOptions {
  database: CrashDatabase;
  runs: QueuedCrashRun[];
  random: SeededRandom;
  kills: number;
  /** A kill lands this long after the worker is ready (uniformly at random)… */
  killDelayMs: [number, number];
  /** …or once the runs have written this many more events, if that comes first. */
  killAfterEvents: [number, number];
  /** Share of kills that land while the worker is still starting. */
  earlyKillShare?: number;
  concurrency: number;
  leaseMs: number;
  maxTokenDelayMs?: number;
  maxToolDelayMs?: number;
  timeoutMs: number;
  onKill?: (record: KillRecord, killNumber: number) => void;
}

export interface CampaignResult {
  kills: KillRecord[];
  spawns: number;
  approvals: number;
  seconds: number;
}

let workerCounter = 0;

export function crashWorkerConfig(
  random: SeededRandom,
  overrides: Partial<CrashWorkerConfig> & Pick<CrashWorkerConfig, "leaseMs" | "concurrency">,
): CrashWorkerConfig {
  workerCounter++;
  return {
    workerId: `crash-worker-${process.pid}-${workerCounter}`,
    seed: random.integer(0, 2 ** 31 - 1),
    maxTokenDelayMs: CRASH_CAMPAIGN_DEFAULTS.maxTokenDelayMs,
    maxToolDelayMs: CRASH_CAMPAIGN_DEFAULTS.maxToolDelayMs,
    ...overrides,
  };
}

/** Kill, restart, repeat; then let the last worker finish every run. */
export async function runCrashCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const { database, random } = options;
  const runIds = options.runs.map((run) => run.runId);
  const started = performance.now();
  const deadline = Date.now() + options.timeoutMs;
  const approver = startApprover(database);
  const kills: KillRecord[] = [];
  let spawns = 0;
  let worker: CrashWorkerProcess | undefined;
  try {
    for (;;) {
      worker = spawnCrashWorker({
        databaseUrl: database.url,
        config: crashWorkerConfig(random, {
          leaseMs: options.leaseMs,
          concurrency: options.concurrency,
          ...(options.maxTokenDelayMs !== undefined ? { maxTokenDelayMs: options.maxTokenDelayMs } : {}),
          ...(options.maxToolDelayMs !== undefined ? { maxToolDelayMs: options.maxToolDelayMs } : {}),
        }),
      });
      spawns++;
      if (kills.length >= options.kills) {
        await worker.ready;
        const done = await waitForTerminal(database, runIds, Math.max(0, deadline - Date.now()), approver.failure);
        if (!done) {
          throw new Error(
            `runs not terminal after ${options.timeoutMs} ms (seed ${random.seed}):\n${await describeUnfinished(database, runIds)}\nworker output:\n${worker.output()}`,
          );
        }
        await worker.stop();
        break;
      }
      const early = random.next() < (options.earlyKillShare ?? 0.1);
      let after: KillRecord["after"];
      if (early) {
        // While it is still starting: nothing it does counts yet, so the moment is a time.
        after = { ms: random.integer(0, 400) };
        if (await waitForTerminal(database, runIds, after.ms, approver.failure)) {
          await worker.stop();
          break;
        }
      } else {
        await worker.ready;
        const held = await waitForHeldRun({
          database,
          workerId: worker.workerId,
          runIds,
          deadline,
          failure: approver.failure,
        });
        if (held === "finished") {
          await worker.stop();
          break;
        }
        const ms = random.integer(...options.killDelayMs);
        const events = random.integer(...options.killAfterEvents);
        after = { ms, events };
        const moment = await waitForKillMoment({
          database,
          runIds,
          from: await countRunEvents(database, runIds),
          events,
          ms,
          failure: approver.failure,
        });
        if (moment === "finished") {
          await worker.stop();
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`crash campaign ran out of time (seed ${random.seed})`);
      await worker.kill();
      const record = await recordKill(database, worker, after, early);
      kills.push(record);
      options.onKill?.(record, kills.length);
    }
  } finally {
    await worker?.kill();
    await approver.stop();
  }
  return { kills, spawns, approvals: approver.approvals(), seconds: (performance.now() - started) / 1000 };
}
