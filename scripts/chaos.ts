/**
 * `npm run chaos`: runs through several worker instances on one throwaway embedded
 * PostgreSQL while a seeded schedule kill -9s instances at random moments (some faster
 * than one answer takes) and restarts them, SIGTERMs one mid-run and restarts PostgreSQL
 * once; destructive ledger tools are approved by a scripted reviewer. Then it verifies
 * and prints: runs completed, messages lost, destructive side effects executed twice
 * (counted in the ledger the tools write), calls left UNKNOWN_OUTCOME (each recorded in
 * the audit log and shown as such by the reviewers' inbox), runs stuck, runs failed after the recovery cap, and
 * whether the audit chain verifies. Loopback only; bounded by --timeout-seconds.
 *
 *   npm run chaos -- [--runs 200] [--instances 3] [--kills 40] [--seed N] [--timeout-seconds 1500]
 *
 * Last line: {"runs","completed","lost","duplicateDestructive","unknownOutcome","stuck","failedAfterRetries"}.
 * Exits 1 when anything is wrong.
 */
import { parseArgs } from "node:util";
import { connectDatabaseForTests, db } from "../server/db/client";
import { runChaosCampaign } from "../server/testing/chaos-campaign";
import { type CrashDatabase, openCrashDatabase } from "../server/testing/crash-campaign";
import { killAllCrashWorkers } from "../server/testing/crash-process";
import { type PrivatePostgres, startPrivatePostgres } from "../server/testing/private-postgres";
import { createSeededRandom } from "../server/testing/seeded-random";

function say(message: string) {
  process.stdout.write(`[chaos] ${message}\n`);
}

function wholeNumber(name: string, value: string | undefined, fallback: number, minimum = 0): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < minimum) {
    process.stderr.write(`--${name} expects a whole number of at least ${minimum}, got "${value}"\n`);
    process.exit(2);
  }
  return parsed;
}

const { values } = parseArgs({
  options: {
    runs: { type: "string" },
    instances: { type: "string" },
    kills: { type: "string" },
    seed: { type: "string" },
    "timeout-seconds": { type: "string" },
  },
});
const runs = wholeNumber("runs", values.runs, 200, 1);
const instances = wholeNumber("instances", values.instances, 3, 1);
const kills = wholeNumber("kills", values.kills, Math.max(1, Math.round(runs / 5)));
const seed = wholeNumber("seed", values.seed, 20_261_202);
const timeoutMs = wholeNumber("timeout-seconds", values["timeout-seconds"], 1_500, 1) * 1000;

let postgres: PrivatePostgres | undefined;
let crashDatabase: CrashDatabase | undefined;

async function cleanUp() {
  await killAllCrashWorkers();
  await crashDatabase?.close().catch(() => {});
  await db()
    .$disconnect()
    .catch(() => {});
  await postgres?.stop();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping the instances and PostgreSQL`);
    void cleanUp().finally(() => process.exit(130));
  });
}

function table(rows: [string, string | number | boolean][]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n");
}

async function main(): Promise<boolean> {
  say(`seed ${seed}: ${runs} runs through ${instances} instances, ${kills} kills, 1 SIGTERM, 1 PostgreSQL restart`);
  postgres = await startPrivatePostgres("airlock_chaos");
  const server = postgres;
  await connectDatabaseForTests(server.url);
  crashDatabase = await openCrashDatabase(server.url);
  const result = await runChaosCampaign({
    database: crashDatabase,
    random: createSeededRandom(seed),
    runs,
    instances,
    kills,
    timeoutMs,
    say,
    restartPostgres: () => server.restart(),
  });
  process.stdout.write(
    `\n${table([
      ["seed", seed],
      ["runs", result.runs],
      ["completed", result.completed],
      ["messages lost", result.lost],
      ["destructive side effects executed twice", result.duplicateDestructive],
      [
        "calls left UNKNOWN_OUTCOME (not audited / not in the inbox)",
        `${result.unknownOutcome} (${result.unknownOutcomeUnrecorded} / ${result.unknownOutcomeNotInInbox})`,
      ],
      ["runs stuck", result.stuck],
      ["runs failed after the recovery cap", result.failedAfterRetries],
      ["audit chain verifies", result.auditChainVerifies],
      [
        "kill -9s / SIGTERMs / PostgreSQL restarts",
        `${result.kills} / ${result.sigterms} / ${result.postgresRestarts}`,
      ],
      ["instances started", result.workersStarted],
      ["approvals given", result.approvals],
      ["seconds", result.seconds],
    ])}\n\n`,
  );
  for (const problem of result.problems) process.stdout.write(`${problem}\n`);
  const { runs: total, completed, lost, duplicateDestructive, unknownOutcome, stuck, failedAfterRetries } = result;
  process.stdout.write(
    `${JSON.stringify({ runs: total, completed, lost, duplicateDestructive, unknownOutcome, stuck, failedAfterRetries })}\n`,
  );
  return (
    result.problems.length === 0 &&
    lost === 0 &&
    duplicateDestructive === 0 &&
    stuck === 0 &&
    result.unknownOutcomeUnrecorded === 0 &&
    result.unknownOutcomeNotInInbox === 0 &&
    result.auditChainVerifies &&
    completed + failedAfterRetries === total
  );
}

let passed = false;
try {
  passed = await main();
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`[chaos] seed ${seed}: ${message}\n`);
  process.stdout.write(`${JSON.stringify({ runs, error: message.split("\n")[0] })}\n`);
} finally {
  await cleanUp();
}
process.exit(passed ? 0 : 1);
