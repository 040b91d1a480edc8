/**
 * A chaos campaign: runs that follow crash plans (destructive ledger tools approved by a
 * scripted reviewer) through several worker processes at once, while a seeded schedule
 * SIGKILLs them at random moments (some before they are ready) and restarts them, sends
 * one of them SIGTERM (a clean stop: it hands its runs back), and, when given a way to,
 * restarts PostgreSQL once. Then it checks every run: completed exactly once, or failed
 * after the recovery cap with the reason; nothing lost, no destructive side effect twice
 * (counted in the ledger the tools write), every unknown outcome recorded for reviewers,
 * nothing stuck, and the audit chain intact. `npm run chaos` and a test share it.
 */
import { inboxDetail, listInbox } from "../approvals/inbox";
import { verifyAuditChain } from "../audit/record-audit-event";
import { TERMINAL_RUN_STATUSES } from "../shared/run-events";
import { createToolRegistry } from "../tools/registry";
import {
  type CrashDatabase,
  crashWorkerConfig,
  describeUnfinished,
  queueCrashRuns,
  startApprover,
} from "./crash-campaign";
import { checkCrashRuns, describeProblems } from "./crash-checks";
import { type CrashWorkerProcess, spawnCrashWorker } from "./crash-process";
import { createLedgerTools } from "./ledger-tools";
import { createSeededRandom, type SeededRandom } from "./seeded-random";

export interface ChaosOptions {
  database: CrashDatabase;
  random: SeededRandom;
  runs: number;
  instances: number;
  kills: number;
  /** Restarts PostgreSQL once, mid-campaign; left out where the server is shared. */
  restartPostgres?: () => Promise<void>;
  timeoutMs: number;
  leaseMs?: number;
  concurrency?: number;
  maxRecoveries?: number;
  say?: (message: string) => void;
}

export interface ChaosResult {
  runs: number;
  completed: number;
  lost: number;
  duplicateDestructive: number;
  unknownOutcome: number;
  /** Unknown outcomes with no audit event a reviewer can find them by. */
  unknownOutcomeUnrecorded: number;
  /** Unknown outcomes the reviewers' inbox (its list and the request's detail) does not show as such. */
  unknownOutcomeNotInInbox: number;
  stuck: number;
  failedAfterRetries: number;
  /** Failed for any other reason, or wrong in any other way (see problems). */
  problems: string[];
  kills: number;
  sigterms: number;
  postgresRestarts: number;
  workersStarted: number;
  approvals: number;
  auditChainVerifies: boolean;
  seconds: number;
}

export async function runChaosCampaign(options: ChaosOptions): Promise<ChaosResult> {
  const { database, random } = options;
  const say = options.say ?? (() => {});
  const started = performance.now();
  const leaseMs = options.leaseMs ?? 1_000;
  const queued = await queueCrashRuns({ count: options.runs, random });
  const runIds = queued.map((run) => run.runId);
  const approver = startApprover(database);
  // Every worker ever started, for the log lines about a run that went wrong.
  const workers: CrashWorkerProcess[] = [];
  const spawn = () => {
    const worker = spawnCrashWorker({
      databaseUrl: database.url,
      config: crashWorkerConfig(random, {
        leaseMs,
        concurrency: options.concurrency ?? 8,
        maxRecoveries: options.maxRecoveries ?? 5,
        recoveryBackoffMs: 250,
      }),
    });
    workers.push(worker);
    return worker;
  };
  const slots: CrashWorkerProcess[] = Array.from({ length: options.instances }, spawn);
  // The schedule: every kill, the one SIGTERM and the one restart of PostgreSQL, in a seeded order.
  const actions: ("kill" | "sigterm" | "postgres")[] = [
    ...Array.from({ length: options.kills }, () => "kill" as const),
    "sigterm",
    ...(options.restartPostgres ? ["postgres" as const] : []),
  ];
  for (let index = actions.length - 1; index > 0; index--) {
    const other = random.integer(0, index);
    [actions[index], actions[other]] = [actions[other] as never, actions[index] as never];
  }
  let kills = 0;
  let sigterms = 0;
  let postgresRestarts = 0;
  const deadline = Date.now() + options.timeoutMs;
  const unfinished = async () =>
    (
      await database.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Run" WHERE id = ANY($1) AND NOT (status::text = ANY($2))`,
        [runIds, [...TERMINAL_RUN_STATUSES]],
      )
    )[0]?.n ?? runIds.length;
  try {
    for (const action of actions) {
      // A moment: sometimes faster than one answer takes, sometimes a while into the runs.
      const pause = random.next() < 0.3 ? random.integer(20, 300) : random.integer(500, 4_000);
      await new Promise((resolve) => setTimeout(resolve, pause));
      if ((await unfinished().catch(() => 1)) === 0) break;
      if (Date.now() > deadline) throw new Error("the chaos campaign ran out of time before its last action");
      const slot = random.integer(0, slots.length - 1);
      const target = slots[slot] as CrashWorkerProcess;
      if (action === "kill") {
        await target.kill();
        kills++;
        slots[slot] = spawn();
      } else if (action === "sigterm") {
        await target.stop();
        sigterms++;
        slots[slot] = spawn();
      } else {
        say("restarting PostgreSQL");
        await options.restartPostgres?.();
        postgresRestarts++;
      }
      if ((kills + sigterms) % 10 === 0) say(`${kills} kills, ${sigterms} SIGTERMs so far`);
    }
    say("schedule done; letting the instances finish");
    for (;;) {
      const left = await unfinished().catch(() => 1);
      if (left === 0) break;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await Promise.all(slots.map((slot) => slot.stop().catch(() => {})));
    await approver.stop().catch(() => {});
  }

  const rows = await database.query<{ id: string; status: string; error: string | null }>(
    `SELECT id, status, error FROM "Run" WHERE id = ANY($1)`,
    [runIds],
  );
  const stuck = rows.filter((row) => !TERMINAL_RUN_STATUSES.has(row.status as never));
  const failedAfterRetries = rows.filter(
    (row) => row.status === "FAILED" && /was interrupted \d+ times/.test(row.error ?? ""),
  );
  const problems: string[] = [];
  if (stuck.length > 0) problems.push(`stuck:\n${await describeUnfinished(database, runIds)}`);
  for (const row of rows) {
    if (row.status === "FAILED" && !failedAfterRetries.includes(row))
      problems.push(`run ${row.id} failed: ${row.error}${logLinesAbout(workers, row.id)}`);
    if (row.status === "CANCELLED") problems.push(`run ${row.id} was cancelled${logLinesAbout(workers, row.id)}`);
  }
  const completed = queued.filter((run) => rows.find((row) => row.id === run.runId)?.status === "COMPLETED");
  const report = await checkCrashRuns(database.query, completed);
  if (report.problems.length > 0) problems.push(describeProblems(report.problems));

  // Destructive effects twice: a non-idempotent append executed more than once, or any
  // idempotency key applied more than once (both counted by the tools in the ledger).
  const [twice] = await database.query<{ appends: number; applied: number }>(
    `SELECT (SELECT count(*)::int FROM (SELECT idempotency_key FROM ledger_attempt WHERE tool = 'ledger_append' AND run_id = ANY($1)
                                         GROUP BY idempotency_key HAVING count(*) > 1) a) AS appends,
            (SELECT count(*)::int FROM (SELECT idempotency_key FROM ledger WHERE run_id = ANY($1)
                                         GROUP BY idempotency_key HAVING count(*) > 1) l) AS applied`,
    [runIds],
  );
  const [unknown] = await database.query<{ total: number; unrecorded: number }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE NOT EXISTS (
              SELECT 1 FROM "AuditEvent" a WHERE a.action = 'tool-call.unknown-outcome' AND a."targetId" = tc.id))::int AS unrecorded
     FROM "ToolCall" tc WHERE tc."runId" = ANY($1) AND tc.status = 'UNKNOWN_OUTCOME'`,
    [runIds],
  );
  const notInInbox = await unknownOutcomesNotInInbox(database, runIds);
  if (notInInbox.length > 0) problems.push(`unknown outcomes the inbox does not show: ${notInInbox.join(", ")}`);
  const chain = await verifyAuditChain();
  return {
    runs: options.runs,
    completed: completed.length,
    lost: report.stats.lost,
    duplicateDestructive: (twice?.appends ?? 0) + (twice?.applied ?? 0),
    unknownOutcome: unknown?.total ?? 0,
    unknownOutcomeUnrecorded: unknown?.unrecorded ?? 0,
    unknownOutcomeNotInInbox: notInInbox.length,
    stuck: stuck.length,
    failedAfterRetries: failedAfterRetries.length,
    problems,
    kills,
    sigterms,
    postgresRestarts,
    workersStarted: workers.length,
    approvals: approver.approvals(),
    auditChainVerifies: chain.ok,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
}

/** What the workers logged about a run (their output's tail), to say why it ended as it did. */
function logLinesAbout(workers: CrashWorkerProcess[], runId: string): string {
  const lines = workers.flatMap((worker) =>
    worker
      .output()
      .split("\n")
      .filter((line) => line.includes(runId))
      .map((line) => `  [worker ${worker.pid}] ${line}`),
  );
  return lines.length > 0 ? `\n${lines.join("\n")}` : " (no worker logged it)";
}

/**
 * The tool calls left UNKNOWN_OUTCOME that reviewers are not shown as such: each must be
 * the outcome of a consumed request that the inbox query (the reviewers' list, every
 * consumed request of these runs) and the request's detail both show as UNKNOWN_OUTCOME.
 */
async function unknownOutcomesNotInInbox(database: CrashDatabase, runIds: string[]): Promise<string[]> {
  const calls = await database.query<{ id: string; requestId: string | null }>(
    `SELECT tc.id, (SELECT r.id FROM "ApprovalRequest" r WHERE r."toolCallId" = tc.id AND r.status = 'CONSUMED'
                    ORDER BY r."createdAt" DESC LIMIT 1) AS "requestId"
     FROM "ToolCall" tc WHERE tc."runId" = ANY($1) AND tc.status = 'UNKNOWN_OUTCOME'`,
    [runIds],
  );
  if (calls.length === 0) return [];
  const [consumed] = await database.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "ApprovalRequest" WHERE status = 'CONSUMED'`,
  );
  // The inbox masks values released in each conversation, which needs the tools the runs had.
  const tools = createToolRegistry(
    createLedgerTools({ pool: database.pool, random: createSeededRandom(0), maxDelayMs: 0 }),
  );
  const listed = new Map(
    (await listInbox({ statuses: ["CONSUMED"], limit: Math.max(1, consumed?.n ?? 0) }, tools)).map((item) => [
      item.id,
      item.callStatus,
    ]),
  );
  const notShown: string[] = [];
  for (const call of calls) {
    const shown =
      call.requestId !== null &&
      listed.get(call.requestId) === "UNKNOWN_OUTCOME" &&
      (await inboxDetail(call.requestId, tools)).request.callStatus === "UNKNOWN_OUTCOME";
    if (!shown) notShown.push(call.id);
  }
  return notShown;
}
