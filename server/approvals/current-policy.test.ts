/**
 * The policy cache of the engine's hot path (policyForNewCalls) against the real database:
 * a change that commits while a cache load is still reading ends with the new policy in
 * the cache, never with the load's older read.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../db/notifications";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { forgetCachedPolicy, policyForNewCalls } from "./current-policy";
import { getPolicySettings, updatePolicySettings } from "./policy-admin";

let database: TestDatabase;
let adminId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  adminId = (await createTestUser("ADMIN")).id;
});

afterAll(async () => {
  await database.drop();
});

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once this process's LISTEN connection has delivered every NOTIFY committed so far. */
async function notificationsDelivered(): Promise<void> {
  let arrived = false;
  const stop = await listen("test_probe", () => {
    arrived = true;
  });
  try {
    await database.query(`SELECT pg_notify('test_probe', 'probe')`);
    await waitFor(async () => arrived, "the probe notification");
  } finally {
    stop();
  }
}

describe("the policy cache", () => {
  it("a policy change during a slow cache load ends with the new policy, not the load's older read", async () => {
    const before = await getPolicySettings();
    expect((await policyForNewCalls()).version).toBe(before.version); // warm, and listening

    // Another session holds the rules table: a cache load reads the version, the settings
    // and the tools' classes, then waits for the rules.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query(`LOCK TABLE "PolicyRule" IN ACCESS EXCLUSIVE MODE`);
      forgetCachedPolicy();
      const slow = policyForNewCalls();
      await waitFor(async () => {
        const [row] = await database.query<{ waiting: number }>(
          `SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'PolicyRule' AND NOT l.granted`,
        );
        return (row?.waiting ?? 0) > 0;
      }, "the cache load to wait on the rules table");

      // Meanwhile an admin changes the settings (their table is not locked): committed,
      // cache forgotten, NOTIFY delivered — all before the slow load has finished.
      await updatePolicySettings({
        expectedVersion: before.version,
        defaultRequiredApprovals: before.defaultRequiredApprovals,
        defaultExpiryMinutes: before.defaultExpiryMinutes,
        destructiveAutoRunConfirmed: before.destructiveAutoRunConfirmed,
        sensitiveReadsNeedApproval: !before.sensitiveReadsNeedApproval,
        sensitiveTables: before.sensitiveTables,
        actorId: adminId,
      });
      await notificationsDelivered();

      await blocker.query("ROLLBACK");
      await slow;
    } finally {
      await blocker.end();
    }

    const cached = await policyForNewCalls();
    expect(cached.version).toBe(before.version + 1);
    expect(cached.settings.sensitiveReadsNeedApproval).toBe(!before.sensitiveReadsNeedApproval);
  });
});
