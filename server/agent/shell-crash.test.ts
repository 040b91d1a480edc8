/**
 * Invariant 9 under real process death: an approved shell command dies with the worker
 * that started it. A worker process runs the demo model and the real run_shell tool; an
 * approved `touch started; sleep …; touch side-effect` starts in its sandbox, the worker
 * is killed with SIGKILL, and the side effect must never appear — not after the sleep,
 * not ever — while the call becomes UNKNOWN_OUTCOME once another worker takes the run
 * over (recovery reports it only when nothing of the call can still be running).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "../approvals/decide-approval";
import { type CrashDatabase, openCrashDatabase, waitForTerminal } from "../testing/crash-campaign";
import { killAllCrashWorkers, spawnCrashWorker } from "../testing/crash-process";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { createToolRegistry } from "../tools/registry";
import { createRunShellTool } from "../tools/shell/run-shell";

const SLEEP_SECONDS = 3;
const SHELL_TIMEOUT_MS = 29_000;
const LEASE_MS = 1_500;

let database: TestDatabase;
let crashDatabase: CrashDatabase;
let root: string;

beforeAll(async () => {
  database = await createTestDatabase();
  crashDatabase = await openCrashDatabase(database.url);
  root = await mkdtemp(path.join(os.tmpdir(), "airlock-shell-crash-"));
});

afterEach(async () => {
  await killAllCrashWorkers();
});

afterAll(async () => {
  await killAllCrashWorkers();
  await crashDatabase?.close();
  await database?.drop();
  if (root) await rm(root, { recursive: true, force: true });
});

let workers = 0;
function startWorker() {
  workers++;
  return spawnCrashWorker({
    databaseUrl: database.url,
    config: {
      workerId: `shell-crash-${process.pid}-${workers}`,
      seed: 1,
      concurrency: 1,
      leaseMs: LEASE_MS,
      maxTokenDelayMs: 0,
      maxToolDelayMs: 0,
      toolTimeoutMs: SHELL_TIMEOUT_MS + 1_000,
      shell: { root, timeoutMs: SHELL_TIMEOUT_MS },
    },
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Host processes whose command line names the workspace: the sandbox of this call, if alive. */
function processesNaming(directory: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(directory)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe("a shell command and the worker that runs it", () => {
  it("dies with the worker on kill -9: the side effect never happens and the call is UNKNOWN_OUTCOME", {
    timeout: 150_000,
  }, async () => {
    const command = `touch started; sleep ${SLEEP_SECONDS}; touch side-effect`;
    // The parent's copy of the tool, for the approval's binding to its version.
    const tools = createToolRegistry([createRunShellTool({ root, timeoutMs: SHELL_TIMEOUT_MS })]);
    const owner = await createTestUser();
    const reviewer = await createTestUser("REVIEWER");
    const conversation = await createTestConversation(owner.id);
    const runId = await sendTestMessage(owner.id, conversation.id, `run \`${command}\``);

    const first = startWorker();
    await first.ready;
    const requestId = await until("the approval request", async () => {
      const [row] = await database.query<{ id: string }>(
        `SELECT ar.id FROM "ApprovalRequest" ar JOIN "ToolCall" tc ON tc.id = ar."toolCallId"
           WHERE tc."runId" = $1 AND ar.status = 'PENDING'`,
        [runId],
      );
      return row?.id;
    });
    await decideApproval({ requestId, reviewerId: reviewer.id, decision: { verdict: "approve" }, tools });
    // The command is running in its sandbox: it has written its first file.
    await until("the command to start", () => (existsSync(path.join(root, "started")) ? true : undefined));
    expect(processesNaming(root).length).toBeGreaterThan(0);

    await first.kill();
    // die-with-parent: nothing of the call survives its worker, at once.
    await until("the sandbox to die with its worker", () => (processesNaming(root).length === 0 ? true : undefined));
    // Well past the sleep: the side effect never came.
    await sleep((SLEEP_SECONDS + 2) * 1_000);
    expect(existsSync(path.join(root, "side-effect"))).toBe(false);

    const second = startWorker();
    // A hang guard, counted from the worker being up (its start is slow on a loaded machine).
    await second.ready;
    expect(await waitForTerminal(crashDatabase, [runId], 60_000)).toBe(true);
    await second.stop();
    const [call] = await database.query<{ status: string; attempts: number }>(
      `SELECT status, attempts FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call).toEqual({ status: "UNKNOWN_OUTCOME", attempts: 1 });
    expect(existsSync(path.join(root, "side-effect"))).toBe(false);
  });
});
