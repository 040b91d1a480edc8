/**
 * `npm run soak:crash`: the crash-recovery test at soak scale. Starts a throwaway
 * embedded PostgreSQL, queues many runs, kill -9s the worker process at random moments
 * (seeded, so a failure can be replayed) until every run is terminal, then checks that
 * nothing was lost or done twice. Prints a summary table and, as its last line, a JSON
 * object of the figures; exits 1 when any run came out wrong.
 *
 *   npm run soak:crash -- [--runs 200] [--kills 60] [--seed N] [--timeout-seconds 600]
 *
 * The crash test prints its seed; `--seed N --runs 24 --kills 12` replays its campaign.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { connectDatabaseForTests, db } from "../server/db/client";
import { findFreePort, type RunningPostgres, startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { applyMigrations } from "../server/db/migrations";
import {
  CRASH_CAMPAIGN_DEFAULTS,
  type CrashDatabase,
  openCrashDatabase,
  queueCrashRuns,
  runCrashCampaign,
} from "../server/testing/crash-campaign";
import { checkCrashRuns, describeProblems } from "../server/testing/crash-checks";
import { killAllCrashWorkers } from "../server/testing/crash-process";
import { createSeededRandom, randomSeed } from "../server/testing/seeded-random";

function say(message: string) {
  process.stdout.write(`[soak:crash] ${message}\n`);
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    process.stderr.write(`--${name} expects a whole number, got "${value}"\n`);
    process.exit(2);
  }
  return parsed;
}

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    kills: { type: "string" },
    seed: { type: "string" },
    "timeout-seconds": { type: "string" },
  },
});
const runCount = positiveInteger("runs", values.runs, 200);
const killCount = positiveInteger("kills", values.kills, Math.max(1, Math.round(runCount * 0.3)));
const seed = positiveInteger("seed", values.seed, randomSeed());
const timeoutMs = positiveInteger("timeout-seconds", values["timeout-seconds"], 900) * 1000;

let postgres: RunningPostgres | undefined;
let dataDir: string | undefined;
let crashDatabase: CrashDatabase | undefined;
let connected = false;

/** Never throws: a failure here must not replace the report (the last line) with a crash. */
async function cleanUp() {
  await killAllCrashWorkers();
  await crashDatabase?.close().catch(() => {});
  if (connected) {
    await db()
      .$disconnect()
      .catch(() => {});
  }
  await postgres?.stop().catch(() => {});
  if (dataDir) {
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 }).catch((error: unknown) => {
      process.stderr.write(`[soak:crash] could not remove ${dataDir}: ${(error as Error).message}\n`);
    });
  }
}

/** The last line machine readers take, for a campaign that could not finish. */
function reportFailure(error: unknown) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[soak:crash] seed ${seed}: ${message}\n`);
  process.stdout.write(`${JSON.stringify({ seed, runs: runCount, error: message.split("\n")[0] })}\n`);
}

// Anything thrown outside main()'s await chain (an event nobody listens to, a rejected
// promise nobody awaits) ends the script with the same clear last line, not Node's banner.
let failingOutside = false;
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    if (failingOutside) return;
    failingOutside = true;
    reportFailure(error);
    void cleanUp().finally(() => process.exit(1));
  });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping workers and PostgreSQL`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function table(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n");
}

async function main(): Promise<boolean> {
  const started = performance.now();
  say(`seed ${seed}: ${runCount} runs, ${killCount} kills`);
  dataDir = await mkdtemp(path.join(os.tmpdir(), "airlock-soak-pg-"));
  // Postgres runs as its own user (the server refuses root), which must reach the directory.
  await chmod(dataDir, 0o755);
  postgres = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, "data"),
    port: await findFreePort(),
    persistent: false,
  });
  await postgres.createDatabase("airlock_soak");
  const url = postgres.urlFor("airlock_soak");
  await applyMigrations({ databaseUrl: url });
  await connectDatabaseForTests(url);
  connected = true;
  crashDatabase = await openCrashDatabase(url);

  // Same order of draws as the test (plans, then the campaign), so a seed replays.
  const random = createSeededRandom(seed);
  const runs = await queueCrashRuns({ count: runCount, random });
  const campaign = await runCrashCampaign({
    database: crashDatabase,
    runs,
    random,
    kills: killCount,
    timeoutMs,
    ...CRASH_CAMPAIGN_DEFAULTS,
    onKill: (record, number) => {
      if (number % 10 === 0 || number === killCount) {
        say(
          `kill ${number}/${killCount}: ${record.runs.length} runs, ${record.runningCalls.length} tool calls in flight`,
        );
      }
    },
  });
  const report = await checkCrashRuns(crashDatabase.query, runs);

  const interrupted = [...new Set(campaign.kills.flatMap((kill) => kill.runs))];
  const recoveredRows = await crashDatabase.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM "Run" WHERE id = ANY($1) AND status = 'COMPLETED'`,
    [interrupted],
  );
  // A call can be caught RUNNING by two kills in a row (the second worker died before settling it).
  const callsInFlight = [
    ...new Map(campaign.kills.flatMap((kill) => kill.runningCalls).map((call) => [call.toolCallId, call])).values(),
  ];
  const callsByTool = (tool: string) => callsInFlight.filter((call) => call.toolName === tool).length;
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const figures = {
    seed,
    runs: runCount,
    completed: report.stats.completed,
    kills: campaign.kills.length,
    workersStarted: campaign.spawns,
    interrupted: interrupted.length,
    recovered: recoveredRows[0]?.count ?? 0,
    toolCallsInterrupted: callsInFlight.length,
    duplicatesFound: report.stats.duplicates,
    lostFound: report.stats.lost,
    problems: report.problems.length,
    unknownOutcomes: report.stats.unknownOutcomes,
    retriedReads: report.stats.retriedReads,
    reExecutedIdempotentWrites: report.stats.reExecutedWrites,
    restreamedSteps: report.stats.restreamedSteps,
    approvals: campaign.approvals,
    seconds,
  };

  process.stdout.write(
    `\n${table([
      ["seed", seed],
      ["runs (completed)", `${runCount} (${report.stats.completed})`],
      ["kill -9s (workers started)", `${campaign.kills.length} (${campaign.spawns})`],
      ["kills before the worker was ready", campaign.kills.filter((kill) => kill.beforeReady).length],
      ["runs caught in flight (recovered)", `${interrupted.length} (${figures.recovered})`],
      [
        "tool calls caught RUNNING",
        `${callsInFlight.length} (write ${callsByTool("ledger_write")}, append ${callsByTool("ledger_append")}, read ${callsByTool("ledger_read")})`,
      ],
      ["tool calls", report.stats.toolCalls],
      ["unknown outcomes (append never re-run)", report.stats.unknownOutcomes],
      ["reads retried", report.stats.retriedReads],
      ["idempotent writes re-executed (applied once)", report.stats.reExecutedWrites],
      ["model steps streamed again", report.stats.restreamedSteps],
      ["approvals given", campaign.approvals],
      ["duplicates found", report.stats.duplicates],
      ["losses found", report.stats.lost],
      ["problems", report.problems.length],
      ["seconds", seconds],
    ])}\n\n`,
  );
  if (report.problems.length > 0) process.stdout.write(`${describeProblems(report.problems)}\n\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return report.problems.length === 0 && report.stats.completed === runCount;
}

let passed = false;
try {
  passed = await main();
} catch (error) {
  // Machine readers take the last line; give them the failure too.
  reportFailure(error);
} finally {
  await cleanUp();
}
process.exit(passed ? 0 : 1);
