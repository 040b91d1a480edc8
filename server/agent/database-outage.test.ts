/**
 * PostgreSQL goes down in the middle of a streaming run and comes back: the stream
 * reports the outage instead of hanging, nothing half-written is left, the run is not
 * marked failed for it, and it completes exactly once from its last committed step.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { connectDatabaseForTests, db } from "../db/client";
import { findFreePort, type RunningPostgres, startEmbeddedPostgres } from "../db/embedded-postgres";
import { applyMigrations } from "../db/migrations";
import { closeNotifications } from "../db/notifications";
import { closeSqlPool } from "../db/sql-batch";
import { createDemoModel } from "../models/demo-model";
import type { RunEventRecord } from "../shared/run-events";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { streamRunEvents } from "./run-stream";

let directory: string;
let port: number;
let postgres: RunningPostgres;
let worker: TestWorker | undefined;

async function startServer(initialise: boolean): Promise<RunningPostgres> {
  const server = await startEmbeddedPostgres({ dataDir: path.join(directory, "data"), port, persistent: true });
  if (initialise) await server.createDatabase("airlock");
  return server;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "airlock-outage-"));
  await chmod(directory, 0o755);
  port = await findFreePort();
  postgres = await startServer(true);
  const url = postgres.urlFor("airlock");
  await applyMigrations({ databaseUrl: url });
  await connectDatabaseForTests(url);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await closeNotifications();
  await closeSqlPool();
  await db().$disconnect();
  await postgres?.stop();
  await rm(directory, { recursive: true, force: true });
});

it("survives PostgreSQL restarting mid-stream", { timeout: 120_000 }, async () => {
  worker = await startTestWorker(
    testEngineDependencies({
      model: createDemoModel({ tokenDelayMs: 15 }),
      config: { leaseMs: 1_500, modelIdleTimeoutMs: 5_000 },
    }),
  );
  const user = await createTestUser("USER");
  const conversation = await createTestConversation(user.id);
  const runId = await sendTestMessage(user.id, conversation.id, "tell me a long story");

  // A subscriber, as the browser's: on an error it reconnects from the last event it saw.
  const seen: RunEventRecord[] = [];
  const streamErrors: string[] = [];
  const subscriber = (async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        for await (const event of streamRunEvents({ runId, afterSeq: seen.at(-1)?.seq ?? 0 })) {
          seen.push(event);
          if (event.data.type === "run-status" && event.data.status === "COMPLETED") return;
        }
        return;
      } catch (error) {
        streamErrors.push((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  })();

  // Down while the first step streams; back a moment later.
  const deadline = Date.now() + 20_000;
  while (!seen.some((event) => event.data.type === "text-delta") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(seen.some((event) => event.data.type === "text-delta")).toBe(true);
  await postgres.stop();
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  postgres = await startServer(false);

  expect(await waitForRunStatus(runId, ["COMPLETED", "FAILED", "CANCELLED"], 60_000)).toBe("COMPLETED");
  await subscriber;
  expect(streamErrors.length).toBeGreaterThan(0);

  const steps = await db().step.findMany({ where: { runId }, orderBy: { index: "asc" }, select: { index: true } });
  expect(steps.map((step) => step.index)).toEqual([0]);
  const assistant = await db().message.findMany({ where: { runId, role: "ASSISTANT" }, select: { parts: true } });
  expect(assistant).toHaveLength(1);
  expect(JSON.stringify(assistant[0]?.parts)).toContain("That is the end of the story.");
  const sequence = seen.map((event) => event.seq);
  expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
  expect(new Set(sequence).size).toBe(sequence.length);
  // What the subscriber read from the step's last start is the stored answer, once.
  let text = "";
  for (const event of seen) {
    if (event.data.type === "step-started") text = "";
    if (event.data.type === "text-delta") text += event.data.text;
  }
  expect(text).toContain("That is the end of the story.");
  // Item 1 once (item 11 also ends in "1. The airlock cycled", hence the newline).
  expect(text.split("\n1. The airlock cycled").length - 1).toBe(1);
  const run = await db().run.findUnique({ where: { id: runId }, select: { error: true, attempts: true } });
  expect(run?.error).toBeNull();
  expect(run?.attempts).toBeGreaterThanOrEqual(2);
});
