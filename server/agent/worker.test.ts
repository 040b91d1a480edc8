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

async function startWorker(leaseMs = LEASE_MS): Promise<TestWorker> {
  const worker = await startTestWorker(
    testEngineDependencies({
      model: createDemoModel({ tokenDelayMs: 0 }),
      tools: [listFiles],
      config: { leaseMs },
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

/** The run's lease once it has expired, or as it is after `timeoutMs`. */
async function waitForLeaseExpiry(runId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lease = await leaseOf(runId);
    if (lease?.expired || Date.now() > deadline) return lease;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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

    // The tool never returns before stop() does: a stop() that waited for the run would not
    // return at all; the watchdog (many times the grace period) only names that failure.
    let watchdog: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      first.stop({ graceMs: 200 }).then(() => "returned"),
      new Promise((resolve) => {
        watchdog = setTimeout(() => resolve("still waiting for the stuck run"), 20_000);
      }),
    ]);
    clearTimeout(watchdog);
    expect(stopped).toBe("returned");
    expect((await leaseOf(runId))?.leaseOwner).toBe(first.id);

    // No heartbeat any more: the lease runs out although the run is still in flight here.
    // (Polled: a renewal sent just before stop() may land a moment after it.)
    expect(await waitForLeaseExpiry(runId, 10_000)).toEqual({ leaseOwner: first.id, expired: true });

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

  it("does not start a run a second time when its lease ran out while this worker still runs it", async () => {
    // Only this worker may claim: the earlier tests' workers would take the expired run over.
    await Promise.all(workers.map((earlier) => earlier.stop({ graceMs: 0 })));
    const user = await createTestUser();
    const slow = gate();
    // A long lease: its heartbeat (every third of it) cannot renew the lease this test expires.
    const worker = await startWorker(60_000);
    const runId = await sendTestMessage(user.id, (await createTestConversation(user.id)).id, "list the files");
    await slow.started;
    const executionsBefore = executions;
    // As after a heartbeat that stalled on a loaded machine: the lease is out of date, the run still in flight here.
    await database.query(`UPDATE "Run" SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = $1`, [runId]);
    // A newer run wakes the worker; it claims the oldest claimable run first, so by the time
    // the newer one is done the expired one has been passed over (or claimed again).
    const later = await sendTestMessage(user.id, (await createTestConversation(user.id)).id, "hello");
    expect(await worker.waitForRun(later, 10_000)).toBe("COMPLETED");
    expect((await leaseOf(runId))?.leaseOwner).toBe(worker.id);

    slow.release();
    expect(await worker.waitForRun(runId, 10_000)).toBe("COMPLETED");
    expect(executions).toBe(executionsBefore);
    const [run] = await database.query<{ attempts: number; error: string | null }>(
      `SELECT attempts, error FROM "Run" WHERE id = $1`,
      [runId],
    );
    expect(run).toEqual({ attempts: 1, error: null });
  });
});
