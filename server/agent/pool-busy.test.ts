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
import { decideApproval } from "../approvals/decide-approval";
import { transactionStartRetries } from "../db/transaction";
import { createDemoModel } from "../models/demo-model";
import { findPendingRequestId } from "../testing/approvals";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { defineTool } from "../tools/define-tool";

const RUNS = 40;
const TINY_POOL = {
  DATABASE_POOL_SIZE: "1",
  DATABASE_SQL_POOL_SIZE: "1",
  DATABASE_TRANSACTION_MAX_WAIT_MS: "10",
} as const;

let database: TestDatabase;
const workers: TestWorker[] = [];
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

/** Every deletion the tool applied, by path: the ledger outside the database. */
const ledger: string[] = [];

const deleteFile = defineTool({
  name: "delete_file",
  description: "Delete a file in the workspace",
  input: z.object({ path: z.string().min(1) }),
  output: z.object({ deleted: z.string() }),
  risk: "DESTRUCTIVE",
  async execute(input) {
    ledger.push(input.path);
    return { deleted: input.path };
  },
});

async function startWorker(concurrency: number): Promise<TestWorker> {
  const worker = await startTestWorker(
    testEngineDependencies({
      model: createDemoModel({ tokenDelayMs: 0 }),
      tools: [listFiles, deleteFile],
      // Long enough that no heartbeat stalled behind the queue loses a lease here.
      config: { leaseMs: 20_000 },
    }),
    concurrency,
  );
  workers.push(worker);
  return worker;
}

/**
 * Run events written twice: any step or call event twice over, or a final status other
 * than one COMPLETED per run. (A run that waited for approval is QUEUED and RUNNING twice.)
 */
async function duplicatedEvents(runIds: string[]) {
  const repeated = await database.query(
    `SELECT "runId", type, data FROM "RunEvent" WHERE "runId" = ANY($1) AND type NOT IN ('text-delta', 'run-status')
     GROUP BY "runId", type, data HAVING count(*) > 1`,
    [runIds],
  );
  const finals = await database.query(
    `SELECT run.id, array_agg(e.data->>'status') FILTER (WHERE e.seq IS NOT NULL) AS finals
       FROM unnest($1::text[]) AS run(id)
       LEFT JOIN "RunEvent" e ON e."runId" = run.id AND e.type = 'run-status'
                             AND e.data->>'status' IN ('COMPLETED', 'FAILED', 'CANCELLED')
      GROUP BY run.id HAVING count(e.seq) <> 1 OR bool_or(e.data->>'status' <> 'COMPLETED')`,
    [runIds],
  );
  return [...repeated, ...finals];
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(TINY_POOL)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  // The database, the Prisma client and the raw pool are created with the tiny pool.
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
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
  const retriesBefore = transactionStartRetries();
  const worker = await startWorker(RUNS);
  const outcomes = await Promise.all(runIds.map((runId) => worker.waitForRun(runId, 25_000)));
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
  expect(await duplicatedEvents(runIds)).toEqual([]);
});

it("asks, and after approval executes each destructive call exactly once, with every leased transition queueing", async () => {
  await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
  const runs = 20;
  const runIds: string[] = [];
  for (let index = 0; index < runs; index++) {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    runIds.push(await sendTestMessage(user.id, conversation.id, `delete notes-${index}.txt`));
  }
  // The slow path asks for every call at once: ask-approval transitions and requests, leased.
  const retriesBefore = transactionStartRetries();
  const asking = await startWorker(runs);
  expect(await Promise.all(runIds.map((runId) => asking.waitForRun(runId, 25_000)))).toEqual(
    runIds.map(() => "AWAITING_APPROVAL"),
  );
  await asking.stop({ graceMs: 0 });
  // Decided while no worker runs (a reviewer's transaction is not leased: it would give up
  // after three waits, and here it need not wait at all), so all resume at once below.
  const reviewer = await createTestUser("REVIEWER");
  const { tools } = testEngineDependencies({ tools: [listFiles, deleteFile] });
  for (const runId of runIds) {
    await decideApproval({
      requestId: await findPendingRequestId(runId),
      reviewerId: reviewer.id,
      decision: { verdict: "approve" },
      tools,
    });
  }
  // Consuming each approval, running the call and recording its end: leased, all at once.
  const resuming = await startWorker(runs);
  expect(await Promise.all(runIds.map((runId) => resuming.waitForRun(runId, 25_000)))).toEqual(
    runIds.map(() => "COMPLETED"),
  );
  expect(transactionStartRetries() - retriesBefore).toBeGreaterThan(0);
  for (const runId of runIds) expect(await waitForRunStatus(runId)).toBe("COMPLETED");
  expect([...ledger].sort()).toEqual(runIds.map((_, index) => `notes-${index}.txt`).sort());
  const calls = await database.query<{ status: string; attempts: number; request: string }>(
    `SELECT t.status, t.attempts, a.status AS request FROM "ToolCall" t JOIN "ApprovalRequest" a ON a."toolCallId" = t.id
      WHERE t."runId" = ANY($1)`,
    [runIds],
  );
  expect(calls).toEqual(runIds.map(() => ({ status: "SUCCEEDED", attempts: 1, request: "CONSUMED" })));
  expect(await duplicatedEvents(runIds)).toEqual([]);
});
