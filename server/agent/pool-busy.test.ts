/**
 * A busy connection pool makes work wait, never fail: many runs at once through one
 * worker whose Prisma pool and raw SQL pool hold one connection each, with a first
 * transaction wait so short (10 ms) that nearly every interactive transaction of the run
 * (the leased tool-call transitions, the final status) outlasts it while it queues. Each
 * such attempt ran nothing, so it is tried again; every run completes, exactly once.
 * (bench:load with 1000 streams failed runs with "Unable to start a transaction in the
 * given time" at the default pool: the same wait, reached by load instead of by a bound.)
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { transactionStartRetries } from "../db/transaction";
import { createDemoModel } from "../models/demo-model";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
} from "../testing/fixtures";
import { defineTool } from "../tools/define-tool";

const RUNS = 40;
const TINY_POOL = {
  DATABASE_POOL_SIZE: "1",
  DATABASE_SQL_POOL_SIZE: "1",
  DATABASE_TRANSACTION_MAX_WAIT_MS: "10",
} as const;

let database: TestDatabase;
let worker: TestWorker | undefined;
const saved: Record<string, string | undefined> = {};
let executions = 0;

const listFiles = defineTool({
  name: "list_files",
  description: "List files in the workspace",
  input: z.object({ path: z.string() }),
  output: z.object({ files: z.array(z.string()) }),
  risk: "READ",
  async execute() {
    executions++;
    return { files: ["README.md"] };
  },
});

beforeAll(async () => {
  for (const [name, value] of Object.entries(TINY_POOL)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  // The database, the Prisma client and the raw pool are created with the tiny pool.
  database = await createTestDatabase();
});

afterAll(async () => {
  await worker?.stop({ graceMs: 0 });
  await database?.drop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

it("completes every one of many concurrent runs through a one-connection pool, each exactly once", async () => {
  const runIds: string[] = [];
  for (let index = 0; index < RUNS; index++) {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    runIds.push(await sendTestMessage(user.id, conversation.id, "list the files"));
  }
  worker = await startTestWorker(
    testEngineDependencies({
      model: createDemoModel({ tokenDelayMs: 0 }),
      tools: [listFiles],
      // Long enough that no heartbeat stalled behind the queue loses a lease here.
      config: { leaseMs: 20_000 },
    }),
    RUNS,
  );
  const retriesBefore = transactionStartRetries();
  const outcomes = await Promise.all(runIds.map((runId) => (worker as TestWorker).waitForRun(runId, 25_000)));
  expect(outcomes).toEqual(runIds.map(() => "COMPLETED"));
  // The pool was in fact too busy for the first wait (else this test proves nothing).
  expect(transactionStartRetries() - retriesBefore).toBeGreaterThan(0);

  const runs = await database.query<{ status: string; attempts: number; error: string | null }>(
    `SELECT status, attempts, error FROM "Run" WHERE id = ANY($1)`,
    [runIds],
  );
  expect(runs).toEqual(runIds.map(() => ({ status: "COMPLETED", attempts: 1, error: null })));
  // Every tool call ran once and finished once.
  expect(executions).toBe(RUNS);
  const calls = await database.query<{ status: string; attempts: number }>(
    `SELECT status, attempts FROM "ToolCall" WHERE "runId" = ANY($1)`,
    [runIds],
  );
  expect(calls).toEqual(runIds.map(() => ({ status: "SUCCEEDED", attempts: 1 })));
  // No event written twice: one final status per run, one "finished" per step and per call.
  const duplicated = await database.query(
    `SELECT "runId", type, data FROM "RunEvent" WHERE "runId" = ANY($1)
       AND (type <> 'text-delta')
     GROUP BY "runId", type, data HAVING count(*) > 1`,
    [runIds],
  );
  expect(duplicated).toEqual([]);
  const finals = await database.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM "RunEvent"
      WHERE "runId" = ANY($1) AND type = 'run-status' AND data->>'status' = 'COMPLETED'`,
    [runIds],
  );
  expect(finals).toEqual([{ count: RUNS }]);
});
