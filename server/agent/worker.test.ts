/**
 * The worker's shutdown: stop() waits for in-flight runs, but only for its grace period;
 * after that it returns and stops renewing their leases, so another worker resumes them
 * from their last committed step, as after a crash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDemoModel } from "../models/demo-model";
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

const LEASE_MS = 600;

let database: TestDatabase;
const workers: TestWorker[] = [];
/** Each execution of the tool waits on the next gate here, if there is one. */
const gates: { started: () => void; release: Promise<void> }[] = [];
let executions = 0;

const listFiles = defineTool({
  name: "list_files",
  description: "List files in the workspace",
  input: z.object({ path: z.string() }),
  output: z.object({ files: z.array(z.string()) }),
  risk: "READ",
  async execute() {
    executions++;
    const gate = gates.shift();
    if (gate) {
      gate.started();
      await gate.release;
    }
    return { files: ["README.md"] };
  },
});

function gate(): { started: Promise<void>; release: () => void } {
  let started!: () => void;
  let release!: () => void;
  const startedPromise = new Promise<void>((resolve) => {
    started = resolve;
  });
  const releasePromise = new Promise<void>((resolve) => {
    release = resolve;
  });
  gates.push({ started, release: releasePromise });
  return { started: startedPromise, release };
}

async function startWorker(): Promise<TestWorker> {
  const worker = await startTestWorker(
    testEngineDependencies({
      model: createDemoModel({ tokenDelayMs: 0 }),
      tools: [listFiles],
      config: { leaseMs: LEASE_MS },
    }),
  );
  workers.push(worker);
  return worker;
}

async function leaseOf(runId: string) {
  const [row] = await database.query<{ leaseOwner: string | null; expired: boolean }>(
    `SELECT "leaseOwner", "leaseExpiresAt" < now() AS expired FROM "Run" WHERE id = $1`,
    [runId],
  );
  return row;
}

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const waiting of gates.splice(0)) waiting.started();
  await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
  await database?.drop();
});

describe("worker stop", () => {
  it("waits for in-flight runs that finish within the grace period", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const slow = gate();
    const worker = await startWorker();
    const runId = await sendTestMessage(user.id, conversation.id, "list the files");
    await slow.started;
    setTimeout(slow.release, 150);
    await worker.stop({ graceMs: 10_000 });
    expect(await waitForRunStatus(runId, undefined, 1_000)).toBe("COMPLETED");
  });

  it("returns after the grace period and lets the lease expire, so another worker resumes the run", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const stuck = gate();
    const first = await startWorker();
    const runId = await sendTestMessage(user.id, conversation.id, "list the files");
    await stuck.started;
    const executionsBefore = executions;

    const stopStarted = performance.now();
    await first.stop({ graceMs: 200 });
    expect(performance.now() - stopStarted).toBeLessThan(1_000);
    expect((await leaseOf(runId))?.leaseOwner).toBe(first.id);

    // No heartbeat any more: the lease runs out although the run is still in flight here.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 200));
    expect(await leaseOf(runId)).toEqual({ leaseOwner: first.id, expired: true });

    const second = await startWorker();
    expect(await second.waitForRun(runId, 10_000)).toBe("COMPLETED");
    // The READ call the stopped worker had started was run again by the second one.
    expect(executions).toBe(executionsBefore + 1);
    const calls = await database.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(calls).toEqual([{ status: "SUCCEEDED", attempts: 2 }]);

    // The stopped worker's engine wakes up to a lease it no longer holds and writes nothing.
    stuck.release();
    expect(await first.waitForRun(runId, 5_000)).toBe("LEASE_LOST");
    expect(calls).toEqual(await database.query(`SELECT status, attempts FROM "ToolCall" WHERE "runId" = $1`, [runId]));
  });
});
