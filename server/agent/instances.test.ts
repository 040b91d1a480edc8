/**
 * Several Airlock instances on one database behave as one system. Each instance is its
 * own process (testing/instance.ts: the app's router over HTTP and its run worker, as
 * the app starts them), run on the demo model and the built-in tools:
 * - a run started on a web-only instance executes on a worker, is approved on another
 *   instance, and streams to the first one to the end;
 * - kill -9 of the instance running a run: another completes it exactly once, and the
 *   step it was streaming continues where it stood;
 * - SIGTERM hands the runs back at once: another instance claims before the stopped
 *   one's lease would have expired (asserted on the database's clock, not on a timer),
 *   the stopped instance's subscriber gets every event committed up to its close and a
 *   clean end, and reconnecting to another instance resumes with no gap and no repeat.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import type { RunEventData } from "../shared/run-events";
import { stepTextOf } from "../shared/step-text";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import {
  type Instance,
  killAllInstances,
  mutate,
  query,
  type StreamedEvent,
  startInstance,
  subscribeRunEvents,
} from "../testing/instances";

let database: TestDatabase;
let workspace: string;
let user: { id: string };
let reviewer: { id: string };

const LONG_STORY = "tell me a long story";

function instanceEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    WORKSPACE_ROOT: workspace,
    SECRETS_KEY: process.env.SECRETS_KEY ?? "",
    DEMO_MODEL_TOKEN_DELAY_MS: "15",
    RUN_LEASE_MS: "60000",
    ...extra,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.SECRETS_KEY ??= randomBytes(32).toString("base64");
  workspace = await mkdtemp(path.join(os.tmpdir(), "airlock-instances-"));
  user = await createTestUser("USER");
  reviewer = await createTestUser("REVIEWER");
});

afterEach(async () => {
  await killAllInstances();
});

afterAll(async () => {
  await killAllInstances();
  await database?.drop();
  await rm(workspace, { recursive: true, force: true });
});

async function startRun(instance: Instance, text: string): Promise<string> {
  const conversation = await mutate<{ id: string }>(instance, "conversation.create", { modelId: "demo" }, user.id);
  const { runId } = await mutate<{ runId: string }>(
    instance,
    "chat.send",
    { conversationId: conversation.id, text },
    user.id,
  );
  return runId;
}

async function storedEvents(runId: string): Promise<{ seq: number; data: RunEventData; at: Date }[]> {
  return database.query(`SELECT seq, data, "createdAt" AS at FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`, [runId]);
}

async function runRow(runId: string) {
  const [row] = await database.query<{ status: string; leaseOwner: string | null; error: string | null }>(
    `SELECT status, "leaseOwner", error FROM "Run" WHERE id = $1`,
    [runId],
  );
  return row;
}

async function waitForRow<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isTerminal = (event: StreamedEvent) =>
  event.data.type === "run-status" && ["COMPLETED", "FAILED", "CANCELLED"].includes(event.data.status);

function expectContiguous(events: { seq: number }[], from = 1): void {
  expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => from + index));
}

// Each instance is a fresh Node + tsx process: seconds to start on a loaded 2-core machine.
const INSTANCE_TEST_MS = 240_000;

describe("several instances on one database", { timeout: INSTANCE_TEST_MS }, () => {
  it("starts on a web-only instance, executes on a worker, is approved on another and streams to the first", async () => {
    await writeFile(path.join(workspace, "obsolete.txt"), "delete me\n");
    const [web, worker] = await Promise.all([
      startInstance({ databaseUrl: database.url, name: "web", worker: false, env: instanceEnv() }),
      startInstance({ databaseUrl: database.url, name: "worker", worker: true, env: instanceEnv() }),
    ]);
    if (!web || !worker) throw new Error("instances did not start");
    const runId = await startRun(web, "delete the file obsolete.txt");
    const stream = await subscribeRunEvents({ instance: web, runId, userId: user.id });
    await stream.waitFor((event) => event.data.type === "run-status" && event.data.status === "AWAITING_APPROVAL");
    expect((await runRow(runId))?.status).toBe("AWAITING_APPROVAL");

    const inbox = await query<{ id: string; toolName: string }[]>(worker, "approvals.list", {}, reviewer.id);
    const request = inbox.find((item) => item.toolName === "delete_file");
    if (!request) throw new Error(`no approval request in the inbox: ${JSON.stringify(inbox)}`);
    await mutate(worker, "approvals.decide", { requestId: request.id, verdict: "approve" }, reviewer.id);

    const end = await stream.waitFor(isTerminal);
    expect(end.data).toMatchObject({ type: "run-status", status: "COMPLETED" });
    expectContiguous(stream.events);
    expect(stream.events.length).toBe((await storedEvents(runId)).length);
    expect(existsSync(path.join(workspace, "obsolete.txt"))).toBe(false);
    const executed = await database.query(
      `SELECT count(*)::int AS n FROM "AuditEvent" WHERE action = 'tool-call.executed' AND data->>'runId' = $1`,
      [runId],
    );
    expect(executed).toEqual([{ n: 1 }]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it("kill -9 of the instance running a run: another completes it exactly once, continuing its step", async () => {
    const first = await startInstance({
      databaseUrl: database.url,
      name: "doomed",
      worker: true,
      env: instanceEnv({ RUN_LEASE_MS: "1500" }),
    });
    const runId = await startRun(first, LONG_STORY);
    // Killed mid-stream: some of the step's text is committed and was seen.
    const streamed = await waitForRow(
      () => storedEvents(runId),
      (events) => events.filter((event) => event.data.type === "text-delta").length >= 3,
    );
    expect((await runRow(runId))?.leaseOwner).toBe(first.workerId);
    await first.kill();
    const shown = stepTextOf(
      streamed.map((event) => event.data),
      0,
    ).text;

    const second = await startInstance({
      databaseUrl: database.url,
      name: "survivor",
      worker: true,
      env: instanceEnv({ RUN_LEASE_MS: "1500", DEMO_MODEL_TOKEN_DELAY_MS: "0" }),
    });
    const stream = await subscribeRunEvents({ instance: second, runId, userId: user.id });
    await stream.waitFor(isTerminal);
    const events = await storedEvents(runId);
    expectContiguous(events);
    expect(
      events.filter((event) => event.data.type === "run-status" && event.data.status === "COMPLETED"),
    ).toHaveLength(1);
    const step = events.map((event) => event.data);
    expect(step.filter((event) => event.type === "step-started")).toHaveLength(1);
    expect(step.some((event) => event.type === "step-resumed")).toBe(true);
    const final = stepTextOf(step, 0);
    expect(final.interruptedText).toBe("");
    expect(final.text.startsWith(shown)).toBe(true);
    const [message] = await database.query<{ parts: { type: string; text: string }[] }>(
      `SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT'`,
      [runId],
    );
    expect(message?.parts.map((part) => part.text).join("")).toBe(final.text);
    const [run] = await database.query<{ recoveries: number; attempts: number }>(
      `SELECT recoveries, attempts FROM "Run" WHERE id = $1`,
      [runId],
    );
    expect(run).toEqual({ recoveries: 1, attempts: 2 });
  });

  it("SIGTERM hands the run over at once; its subscriber gets every event to a clean close and resumes elsewhere", async () => {
    const [stopping, taking] = await Promise.all([
      // Slow tokens: the story is still streaming when the stop comes.
      startInstance({
        databaseUrl: database.url,
        name: "stopping",
        worker: true,
        env: instanceEnv({ DEMO_MODEL_TOKEN_DELAY_MS: "150" }),
      }),
      startInstance({ databaseUrl: database.url, name: "taking", worker: false, env: instanceEnv() }),
    ]);
    if (!stopping || !taking) throw new Error("instances did not start");
    const runId = await startRun(stopping, LONG_STORY);
    const subscriber = await subscribeRunEvents({ instance: stopping, runId, userId: user.id });
    await subscriber.waitFor((event) => event.data.type === "text-delta");
    // A lease of 60 s: only a hand-over explains a claim by another instance within it.
    const [lease] = await database.query<{ expiresAt: Date }>(
      `SELECT "leaseExpiresAt" AS "expiresAt" FROM "Run" WHERE id = $1`,
      [runId],
    );
    // The other worker starts now, so it cannot have claimed the run before.
    const other = await startInstance({ databaseUrl: database.url, name: "other", worker: true, env: instanceEnv() });
    expect((await runRow(runId))?.status).toBe("RUNNING");
    await stopping.stop();

    const close = await subscriber.ended;
    expect(close).toMatchObject({ how: "error", code: "SERVICE_UNAVAILABLE" });
    expectContiguous(subscriber.events);
    const released = (await storedEvents(runId)).find(
      (event) => event.data.type === "run-status" && event.data.status === "QUEUED" && event.seq > 1,
    );
    if (!released) throw new Error("the run was not handed back");
    // Everything committed up to the hand-over reached the stopped instance's subscriber.
    expect(subscriber.events.at(-1)?.seq).toBeGreaterThanOrEqual(released.seq);

    const lastSeen = subscriber.events.at(-1)?.seq ?? 0;
    const resumed = await subscribeRunEvents({ instance: taking, runId, userId: user.id, lastEventId: lastSeen });
    await resumed.waitFor(isTerminal);
    expectContiguous(resumed.events, lastSeen + 1);
    const all = await storedEvents(runId);
    expect([...subscriber.events, ...resumed.events].map((event) => event.seq)).toEqual(all.map((event) => event.seq));

    // Claimed again (a RUNNING after the hand-over) by the other worker, before the lease would have run out.
    const reclaimed = all.find(
      (event) => event.seq > released.seq && event.data.type === "run-status" && event.data.status === "RUNNING",
    );
    expect(reclaimed?.at.getTime()).toBeLessThan(lease?.expiresAt.getTime() ?? 0);
    const [run] = await database.query<{ status: string; recoveries: number }>(
      `SELECT status, recoveries FROM "Run" WHERE id = $1`,
      [runId],
    );
    // A hand-over is not a recovery: it does not count towards the cap.
    expect(run).toEqual({ status: "COMPLETED", recoveries: 0 });
    const text = stepTextOf(
      all.map((event) => event.data),
      0,
    );
    expect(text.interruptedText).toBe("");
    await other.stop();
  });
});
