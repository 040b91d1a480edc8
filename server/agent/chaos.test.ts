/**
 * A small chaos campaign on every test run: 20 runs through 3 worker instances while a
 * pinned schedule kill -9s 6 of them at random moments, SIGTERMs one and restarts
 * PostgreSQL once (its own server: the tests' shared one cannot be restarted under the
 * other files). Nothing is lost, no destructive effect happens twice, nothing is stuck,
 * every unknown outcome is shown to reviewers, and the audit chain holds.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectDatabaseForTests, db } from "../db/client";
import { closeNotifications } from "../db/notifications";
import { closeSqlPool } from "../db/sql-batch";
import { runChaosCampaign } from "../testing/chaos-campaign";
import { type CrashDatabase, openCrashDatabase } from "../testing/crash-campaign";
import { killAllCrashWorkers } from "../testing/crash-process";
import { tearDownInOrder } from "../testing/deadline";
import { type PrivatePostgres, startPrivatePostgres } from "../testing/private-postgres";
import { createSeededRandom } from "../testing/seeded-random";

const SEED = 20_261_202;

let postgres: PrivatePostgres;
let crashDatabase: CrashDatabase;

beforeAll(async () => {
  postgres = await startPrivatePostgres("airlock_chaos");
  await connectDatabaseForTests(postgres.url);
  crashDatabase = await openCrashDatabase(postgres.url);
}, 120_000);

// Each step named and bounded, so a hang says which step it was. (Two CI runs hung here
// unnamed; the likely cause, Prisma's pool keeping a connection lost mid-transaction in
// the PostgreSQL restart, is fixed in releasing-pool.ts.)
afterAll(
  () =>
    tearDownInOrder(
      [
        ["kill the crash workers", () => killAllCrashWorkers()],
        ["close the campaign's pool", () => crashDatabase?.close()],
        ["close the LISTEN connection", () => closeNotifications()],
        ["disconnect Prisma", () => db().$disconnect()],
        ["close the raw SQL pool", () => closeSqlPool()],
        ["stop PostgreSQL", () => postgres?.stop()],
      ],
      20_000,
    ),
  130_000,
);

it("20 runs through 3 instances, 6 kills, a SIGTERM and a PostgreSQL restart: nothing lost, doubled or stuck", {
  timeout: 600_000,
}, async () => {
  const result = await runChaosCampaign({
    database: crashDatabase,
    random: createSeededRandom(SEED),
    runs: 20,
    instances: 3,
    kills: 6,
    timeoutMs: 480_000,
    restartPostgres: () => postgres.restart(),
  });
  expect(result.problems, `seed ${SEED}`).toEqual([]);
  expect(result).toMatchObject({
    lost: 0,
    duplicateDestructive: 0,
    stuck: 0,
    unknownOutcomeUnrecorded: 0,
    unknownOutcomeNotInInbox: 0,
    auditChainVerifies: true,
    kills: 6,
    sigterms: 1,
    postgresRestarts: 1,
  });
  expect(result.completed + result.failedAfterRetries).toBe(20);
});
