import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { listRunEvents } from "../db/run-events";
import { createDemoModel } from "../models/demo-model";
import { metrics } from "../telemetry/metrics";
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

let database: TestDatabase;
let worker: TestWorker;
const listed: string[] = [];

const listFiles = defineTool({
  name: "list_files",
  description: "List files in the workspace",
  input: z.object({ path: z.string() }),
  output: z.object({ files: z.array(z.string()) }),
  risk: "READ",
  async execute(input) {
    listed.push(input.path);
    return { files: ["README.md", "notes.txt"] };
  },
});

const deleteFile = defineTool({
  name: "delete_file",
  description: "Delete a file",
  input: z.object({ path: z.string() }),
  output: z.object({ deleted: z.string() }),
  risk: "DESTRUCTIVE",
  async execute(input) {
    return { deleted: input.path };
  },
});

beforeAll(async () => {
  database = await createTestDatabase();
  worker = await startTestWorker(
    testEngineDependencies({ model: createDemoModel({ tokenDelayMs: 0 }), tools: [listFiles, deleteFile] }),
  );
});

afterAll(async () => {
  await worker?.stop();
  await database?.drop();
});

describe("run engine with the demo model", () => {
  it("answers in text, committing the step and streaming ordered events", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "hello");
    expect(await worker.waitForRun(runId)).toBe("COMPLETED");
    const events = await listRunEvents(runId, 0);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.data.type)).toEqual(
      expect.arrayContaining(["run-status", "step-started", "text-delta", "step-finished"]),
    );
    const text = events.flatMap((event) => (event.data.type === "text-delta" ? [event.data.text] : [])).join("");
    expect(text).toContain("demo model");
    const messages = await database.query<{ role: string }>(
      `SELECT role FROM "Message" WHERE "conversationId" = $1 ORDER BY id`,
      [conversation.id],
    );
    expect(messages.map((message) => message.role)).toEqual(["USER", "ASSISTANT"]);
  });

  it("runs a READ tool at once and feeds its result back to the model", async () => {
    const stepsTimed = async () =>
      (await metrics.stepDuration.get()).values.find(
        (value) => value.metricName === "airlock_step_duration_seconds_count",
      )?.value ?? 0;
    const timedBefore = await stepsTimed();
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "list the files");
    expect(await worker.waitForRun(runId)).toBe("COMPLETED");
    // Tracing is off in this file: the step latency histogram is a metric, not a span.
    expect((await stepsTimed()) - timedBefore).toBe(2);
    expect(listed).toContain(".");
    const calls = await database.query<{ status: string; riskClass: string }>(
      `SELECT status, "riskClass" FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(calls).toEqual([{ status: "SUCCEEDED", riskClass: "READ" }]);
    const steps = await database.query(`SELECT index FROM "Step" WHERE "runId" = $1 ORDER BY index`, [runId]);
    expect(steps).toHaveLength(2);
  });

  it("suspends on a DESTRUCTIVE call: the run waits with no lease, the tool does not run", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "delete old-notes.md");
    expect(await worker.waitForRun(runId)).toBe("AWAITING_APPROVAL");
    const [run] = await database.query<{ status: string; leaseOwner: string | null }>(
      `SELECT status, "leaseOwner" FROM "Run" WHERE id = $1`,
      [runId],
    );
    expect(run).toEqual({ status: "AWAITING_APPROVAL", leaseOwner: null });
    const calls = await database.query<{ status: string }>(`SELECT status FROM "ToolCall" WHERE "runId" = $1`, [runId]);
    expect(calls).toEqual([{ status: "AWAITING_APPROVAL" }]);
  });
});
