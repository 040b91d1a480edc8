/**
 * The worker's shutdown: stop() lets in-flight tool calls finish within its grace period,
 * then each run hands its lease back (QUEUED), so another worker resumes it at once from
 * what was committed; tool calls still running when the grace is over are cut and say so.
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

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  for (const waiting of gates.splice(0)) waiting.started();
  await Promise.all(workers.map((worker) => worker.stop({ graceMs: 0 })));
  await database?.drop();
});

describe("worker stop", () => {
  it("lets an in-flight tool call finish, then hands the run back at once instead of holding its lease", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const slow = gate();
    const worker = await startWorker();
    const runId = await sendTestMessage(user.id, conversation.id, "list the files");
    await slow.started;
    setTimeout(slow.release, 150);
    await worker.stop({ graceMs: 10_000 });
    expect(await worker.waitForRun(runId, 1_000)).toBe("RELEASED");
    // Handed back: QUEUED with no lease, so any worker claims it now, not when a lease expires.
    expect(await database.query(`SELECT status, "leaseOwner" FROM "Run" WHERE id = $1`, [runId])).toEqual([
      { status: "QUEUED", leaseOwner: null },
    ]);
    const executionsBefore = executions;
    const second = await startWorker();
    expect(await second.waitForRun(runId, 10_000)).toBe("COMPLETED");
    // The call finished during the grace and was committed: it is not run again.
    expect(executions).toBe(executionsBefore);
    expect(await database.query(`SELECT status, attempts FROM "ToolCall" WHERE "runId" = $1`, [runId])).toEqual([
      { status: "SUCCEEDED", attempts: 1 },
    ]);
  });

  it("cuts a tool call still running when the grace is over, records it, and hands the run back", async () => {
    // Only this test's workers may claim its run.
    await Promise.all(workers.map((earlier) => earlier.stop({ graceMs: 0 })));
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const stuck = gate();
    const first = await startWorker();
    const runId = await sendTestMessage(user.id, conversation.id, "list the files");
    await stuck.started;

    // The tool never returns on its own: a stop() that waited for it would not return at
    // all; the watchdog (many times the grace period) only names that failure.
    let watchdog: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      first.stop({ graceMs: 200 }).then(() => "returned"),
      new Promise((resolve) => {
        watchdog = setTimeout(() => resolve("still waiting for the stuck run"), 20_000);
      }),
    ]);
    clearTimeout(watchdog);
    expect(stopped).toBe("returned");
    expect(await first.waitForRun(runId, 1_000)).toBe("RELEASED");
    // Not left to a lease that expires later: handed back, and the cut call says so.
    expect(await leaseOf(runId)).toEqual({ leaseOwner: null, expired: null });
    const [call] = await database.query<{ status: string; error: string }>(
      `SELECT status, error FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call?.status).toBe("CANCELLED");

    const second = await startWorker();
    expect(await second.waitForRun(runId, 10_000)).toBe("COMPLETED");
    stuck.release();
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

describe("worker heartbeat", () => {
  it("renews the lease and finds a cancel whose NOTIFY never came, in one statement", async () => {
    // Only this worker may claim this test's run.
    await Promise.all(workers.map((earlier) => earlier.stop({ graceMs: 0 })));
    const user = await createTestUser();
    const held = gate();
    const worker = await startWorker();
    const runId = await sendTestMessage(user.id, (await createTestConversation(user.id)).id, "list the files");
    await held.started;
    // Renewed while the call runs: the lease's end moves on (every third of the 600 ms lease).
    const leaseEnd = async () =>
      (
        await database.query<{ end: string }>(`SELECT "leaseExpiresAt"::text AS end FROM "Run" WHERE id = $1`, [runId])
      )[0]?.end;
    const first = await leaseEnd();
    const deadline = Date.now() + 5_000;
    while ((await leaseEnd()) === first && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await leaseEnd()).not.toBe(first);
    // The request as requestRunCancel() stores it, but without its NOTIFY (as across a LISTEN reconnect).
    await database.query(`UPDATE "Run" SET "cancelRequestedAt" = now() WHERE id = $1`, [runId]);
    // The tool ignores its signal: the run is cancelled once the cut call's grace is over.
    expect(await worker.waitForRun(runId, 10_000)).toBe("CANCELLED");
    held.release();
    expect(await database.query(`SELECT status FROM "Run" WHERE id = $1`, [runId])).toEqual([{ status: "CANCELLED" }]);
  });
});
