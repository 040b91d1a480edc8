/**
 * The spec's Tasks utility on /api/mcp, with the official SDK's Client and its
 * experimental tasks API over Streamable HTTP against two started Airlock instances on
 * one database (A runs the worker, B is web-only and shares no memory with A):
 * - a task-augmented call of a gated tool returns a task at once ("waiting for approval
 *   <id>"), a reviewer approves through tRPC, tasks/get goes terminal, tasks/result has
 *   the tool's real result — on A and on B — and the tool ran exactly once;
 * - a rejection completes the task with the reviewer's reason as a plain result;
 * - tasks/cancel withdraws a pending approval (run and request CANCELLED, nothing
 *   executed); a terminal task cannot be cancelled; tasks/result of a waiting task is
 *   bounded and says so;
 * - another user's token and forged ids get "not found"; expired tasks are gone;
 *   tasks/list pages with cursors and refuses a forged cursor;
 * - a READ tool says taskSupport "forbidden" and refuses a task-augmented call;
 * - a task outlives the instance that created it (kill -9 while tasks/result waits);
 * - malformed task params get -32602 naming the field.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CallToolResultSchema, ErrorCode, type Task } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../../auth/api-tokens";
import { db } from "../../db/client";
import { TASK_PAGE_SIZE } from "../../db/gateway-tasks";
import { createTestDatabase, type TestDatabase } from "../../testing/database";
import { createTestUser, waitForRunStatus } from "../../testing/fixtures";
import { type Instance, killAllInstances, mutate, startInstance } from "../../testing/instances";

const WAIT_MS = 3_000;

let database: TestDatabase;
let workspace: string;
let worker: Instance;
let web: Instance;
let user: { id: string };
let other: { id: string };
let reviewer: { id: string };
let userToken: string;
let otherToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  workspace = await mkdtemp(path.join(os.tmpdir(), "airlock-mcp-tasks-"));
  await writeFile(path.join(workspace, "keep.txt"), "keep me\n");
  await writeFile(path.join(workspace, "cancel-me.txt"), "cancel, do not delete\n");
  user = await createTestUser("USER");
  other = await createTestUser("USER");
  reviewer = await createTestUser("REVIEWER");
  userToken = (await createApiToken({ userId: user.id, name: "tasks client", expiresInDays: 30 })).token;
  otherToken = (await createApiToken({ userId: other.id, name: "someone else", expiresInDays: 30 })).token;
  const env = {
    WORKSPACE_ROOT: workspace,
    SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString("base64"),
    MCP_APPROVAL_WAIT_MS: String(WAIT_MS),
    DEMO_MODEL_TOKEN_DELAY_MS: "0",
  };
  [worker, web] = await Promise.all([
    startInstance({ databaseUrl: database.url, name: "tasks-worker", worker: true, env }),
    startInstance({ databaseUrl: database.url, name: "tasks-web", worker: false, env }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await killAllInstances();
  await database?.drop();
  await rm(workspace, { recursive: true, force: true });
});

async function connect(instance: Instance, token = userToken): Promise<Client> {
  const client = new Client({ name: "Task Agent", version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${instance.url}/api/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  clients.push(client);
  return client;
}

function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((part) => part.text ?? "")
    .join("");
}

/** Starts a task-augmented call with the SDK's stream API and returns the stream and its first message, the task. */
async function startTask(client: Client, name: string, args: Record<string, unknown>, ttl = 60_000) {
  const stream = client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, {
    task: { ttl },
  });
  const first = await stream.next();
  if (first.done || first.value.type !== "taskCreated") throw new Error(`no task: ${JSON.stringify(first.value)}`);
  return { stream, task: first.value.task };
}

const APPROVAL_MESSAGE = /^waiting for approval (\S+)$/;

/**
 * The approval the task waits for. Creating a task waits a little for the run to reach
 * the inbox; on a busy worker the first status may still say "queued", and a client
 * then polls tasks/get as the spec has it.
 */
async function approvalOf(client: Client, task: Task): Promise<string> {
  let current = task;
  const deadline = Date.now() + 20_000;
  while (!APPROVAL_MESSAGE.test(current.statusMessage ?? "")) {
    if (current.status !== "working" || Date.now() > deadline) {
      throw new Error(`the task does not name its approval: ${current.status} ${current.statusMessage}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    current = await client.experimental.tasks.getTask(task.taskId);
  }
  return current.statusMessage?.match(APPROVAL_MESSAGE)?.[1] as string;
}

async function callsOf(toolName: string, pathArg: string) {
  return db().toolCall.findMany({
    where: { run: { userId: user.id }, toolName, args: { path: ["path"], equals: pathArg } },
    select: { status: true, attempts: true },
  });
}

async function rejection(promise: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: number; message: string };
  }
  throw new Error("expected the request to be refused");
}

describe("declaring tasks", () => {
  it("declares the tasks capability, optional tasks for gated tools, forbidden for READ, and refuses a READ task", async () => {
    const client = await connect(worker);
    expect(client.getServerCapabilities()?.tasks).toMatchObject({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const byName = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));
    expect(byName.get("write_file")?.execution).toEqual({ taskSupport: "optional" });
    expect(byName.get("delete_file")?.execution).toEqual({ taskSupport: "optional" });
    expect(byName.get("list_files")?.execution).toEqual({ taskSupport: "forbidden" });

    const refused = await rejection(
      client.request(
        { method: "tools/call", params: { name: "list_files", arguments: {}, task: {} } },
        CallToolResultSchema,
      ),
    );
    expect(refused.code).toBe(ErrorCode.MethodNotFound);
    expect(refused.message).toMatch(/call it without "task"/);

    for (const task of [{ ttl: "soon" }, { ttl: { $gt: 0 } }, "task"]) {
      const invalid = await rejection(
        client.request(
          { method: "tools/call", params: { name: "write_file", arguments: { path: "x.txt", content: "" }, task } },
          CallToolResultSchema,
        ),
      );
      expect(invalid.code, JSON.stringify(task)).toBe(ErrorCode.InvalidParams);
    }
    expect(await db().gatewayTask.count()).toBe(0);
    for (const [method, params] of [
      ["tasks/get", { taskId: 42 }],
      ["tasks/result", {}],
      ["tasks/cancel", { taskId: ["a"] }],
      ["tasks/list", { cursor: 7 }],
    ] as const) {
      const invalid = await rejection(client.request({ method, params } as never, CallToolResultSchema));
      expect(invalid.code, method).toBe(ErrorCode.InvalidParams);
      expect(invalid.message, method).toMatch(new RegExp(`Invalid ${method} request: params\\.(taskId|cursor): `));
    }
  });
});

describe("a gated call as a task", () => {
  it("returns the task at once; approved, it completes with the real result of one execution, on either instance", async () => {
    const client = await connect(worker);
    const { stream, task } = await startTask(client, "write_file", {
      path: "tasked.txt",
      content: "written by a task",
    });
    expect(task).toMatchObject({ status: "working", ttl: 60_000, pollInterval: 2_000 });
    expect(task.taskId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const approvalId = await approvalOf(client, task);
    // The answer came before any decision: the request is still open in the inbox.
    const request = await db().approvalRequest.findUniqueOrThrow({
      where: { id: approvalId },
      select: { status: true },
    });
    expect(request.status).toBe("PENDING");

    // The web-only instance knows the task from the database alone.
    const fromWeb = await connect(web);
    expect(await fromWeb.experimental.tasks.getTask(task.taskId)).toMatchObject({
      taskId: task.taskId,
      status: "working",
      statusMessage: `waiting for approval ${approvalId}`,
    });
    expect((await fromWeb.experimental.tasks.listTasks()).tasks.map((listed) => listed.taskId)).toContain(task.taskId);

    await mutate(web, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id);
    const messages = [];
    for await (const message of stream) messages.push(message);
    const last = messages.at(-1);
    expect(last?.type).toBe("result");
    const result = last?.type === "result" ? last.result : null;
    expect(result?.isError).toBeFalsy();
    expect(result?.structuredContent).toMatchObject({ path: "tasked.txt", created: true });
    expect(messages.some((message) => message.type === "taskStatus" && message.task.status === "completed")).toBe(true);

    // Asked again, later, elsewhere: the same outcome, not a second execution.
    const again = await fromWeb.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(again.structuredContent).toMatchObject({ path: "tasked.txt", created: true });
    expect(again._meta?.["io.modelcontextprotocol/related-task"]).toEqual({ taskId: task.taskId });
    expect(await readFile(path.join(workspace, "tasked.txt"), "utf8")).toBe("written by a task");
    expect(await callsOf("write_file", "tasked.txt")).toEqual([{ status: "SUCCEEDED", attempts: 1 }]);

    // An executed call cannot be cancelled.
    const late = await rejection(fromWeb.experimental.tasks.cancelTask(task.taskId));
    expect(late.code).toBe(ErrorCode.InvalidParams);
    expect(late.message).toMatch(/terminal status: completed/);
  }, 60_000);

  it("completes a rejected call with the reviewer's reason as a plain result", async () => {
    const client = await connect(worker);
    const { task } = await startTask(client, "delete_file", { path: "keep.txt" });
    await mutate(
      worker,
      "approvals.decide",
      { requestId: await approvalOf(client, task), verdict: "reject", reason: "that file stays" },
      reviewer.id,
    );
    const fromWeb = await connect(web);
    const result = await fromWeb.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("that file stays");
    expect(textOf(result)).toMatch(/Do not retry/);
    expect(await fromWeb.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "completed" });
    expect(existsSync(path.join(workspace, "keep.txt"))).toBe(true);
  }, 60_000);

  it("cancels a pending approval through the run's lifecycle; its result waits only so long", async () => {
    const client = await connect(worker);
    const { task } = await startTask(client, "delete_file", { path: "cancel-me.txt" });
    const approvalId = await approvalOf(client, task);

    const waited = Date.now();
    const early = await rejection(client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema));
    expect(early.code).toBe(ErrorCode.RequestTimeout);
    expect(early.message).toContain(`waiting for approval ${approvalId}`);
    expect(Date.now() - waited).toBeGreaterThanOrEqual(WAIT_MS - 100);

    const fromWeb = await connect(web);
    const cancelled = await fromWeb.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: "cancelled" });
    const request = await db().approvalRequest.findUniqueOrThrow({
      where: { id: approvalId },
      select: { status: true, runId: true },
    });
    expect(request.status).toBe("CANCELLED");
    expect(await waitForRunStatus(request.runId, ["CANCELLED"])).toBe("CANCELLED");
    // A reviewer can no longer approve it, and nothing ran.
    await expect(
      mutate(worker, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id),
    ).rejects.toThrow();
    expect(existsSync(path.join(workspace, "cancel-me.txt"))).toBe(true);
    expect(await client.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "cancelled" });
    const twice = await rejection(client.experimental.tasks.cancelTask(task.taskId));
    expect(twice.message).toMatch(/terminal status: cancelled/);
  }, 60_000);
});

describe("races and pickups", () => {
  it("a cancel racing a reviewer's approval either cancels with nothing executed or completes with one execution", async () => {
    const client = await connect(worker);
    const fromWeb = await connect(web);
    const outcomes: string[] = [];
    for (const round of [1, 2, 3]) {
      const file = `race-${round}.txt`;
      const { task } = await startTask(client, "write_file", { path: file, content: `round ${round}` });
      const approvalId = await approvalOf(client, task);
      const [, cancel] = await Promise.allSettled([
        mutate(worker, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id),
        fromWeb.experimental.tasks.cancelTask(task.taskId),
      ]);
      // A cancel that answers success has cancelled the task; one that lost says so.
      if (cancel.status === "fulfilled") expect(cancel.value.status, file).toBe("cancelled");
      else expect((cancel.reason as { code?: number }).code, file).toBe(ErrorCode.InvalidParams);
      outcomes.push(cancel.status === "fulfilled" ? "cancelled" : "executed");
      let final = await client.experimental.tasks.getTask(task.taskId);
      while (final.status === "working") {
        await new Promise((resolve) => setTimeout(resolve, 100));
        final = await client.experimental.tasks.getTask(task.taskId);
      }
      const calls = await callsOf("write_file", file);
      if (final.status === "cancelled") {
        expect(existsSync(path.join(workspace, file)), file).toBe(false);
        expect(
          calls.map((call) => call.status),
          file,
        ).toEqual(["CANCELLED"]);
      } else {
        expect(
          final.status,
          `${file}: ${final.statusMessage} ${JSON.stringify(calls)} ${cancel.status === "rejected" ? (cancel.reason as Error).message : ""}`,
        ).toBe("completed");
        expect(await readFile(path.join(workspace, file), "utf8")).toBe(`round ${round}`);
        expect(calls, file).toEqual([{ status: "SUCCEEDED", attempts: 1 }]);
      }
      if (cancel.status === "fulfilled") expect(final.status, file).toBe("cancelled");
    }
    console.info(`cancel/approve race outcomes: ${outcomes.join(", ")}`);
  }, 90_000);

  it("a task for a call still pending from a plain call takes over its run: no second approval request", async () => {
    const client = await connect(worker);
    const args = { path: "plain-then-task.txt", content: "one request" };
    const pending = await client.callTool({ name: "write_file", arguments: args });
    expect(textOf(pending)).toMatch(/^pending approval \S+ — not executed/);
    const { task } = await startTask(client, "write_file", args);
    const approvalId = await approvalOf(client, task);
    expect(textOf(pending)).toContain(approvalId);
    await mutate(worker, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id);
    const result = await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toMatchObject({ path: "plain-then-task.txt", created: true });
    const requests = await db().approvalRequest.findMany({
      where: { requesterId: user.id, toolName: "write_file", args: { path: ["path"], equals: "plain-then-task.txt" } },
      select: { id: true },
    });
    expect(requests).toEqual([{ id: approvalId }]);
  }, 60_000);
});

describe("durability", () => {
  it("a task outlives the instance that created it (kill -9 while its tasks/result waits)", async () => {
    const doomed = await startInstance({
      databaseUrl: database.url,
      name: "tasks-doomed",
      worker: false,
      env: {
        WORKSPACE_ROOT: workspace,
        SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString("base64"),
        MCP_APPROVAL_WAIT_MS: "60000",
      },
    });
    const client = await connect(doomed);
    const { task } = await startTask(client, "write_file", { path: "survivor.txt", content: "outlived" });
    const approvalId = await approvalOf(client, task);
    const waiting = client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    waiting.catch(() => {});
    await doomed.kill();
    await expect(waiting).rejects.toThrow();

    const fromWeb = await connect(web);
    expect(await fromWeb.experimental.tasks.getTask(task.taskId)).toMatchObject({
      status: "working",
      statusMessage: `waiting for approval ${approvalId}`,
    });
    await mutate(web, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id);
    const result = await fromWeb.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toMatchObject({ path: "survivor.txt", created: true });
    expect(await callsOf("write_file", "survivor.txt")).toEqual([{ status: "SUCCEEDED", attempts: 1 }]);
  }, 90_000);
});

describe("whose task", () => {
  it("is not found with another user's token or a forged id, and other users' lists leave it out", async () => {
    const client = await connect(worker);
    const { task } = await startTask(client, "write_file", { path: "mine.txt", content: "only mine" });
    const stranger = await connect(web, otherToken);
    const forged = randomBytes(32).toString("base64url");
    for (const taskId of [task.taskId, forged, `${task.taskId}x`, "' OR 1=1 --"]) {
      for (const attempt of [
        () => stranger.experimental.tasks.getTask(taskId),
        () => stranger.experimental.tasks.getTaskResult(taskId, CallToolResultSchema),
        () => stranger.experimental.tasks.cancelTask(taskId),
      ]) {
        const refused = await rejection(attempt());
        expect(refused.code, taskId).toBe(ErrorCode.InvalidParams);
        expect(refused.message, taskId).toMatch(/Task not found/);
      }
    }
    expect((await stranger.experimental.tasks.listTasks()).tasks).toEqual([]);
    // The stranger's cancel did nothing.
    expect(await client.experimental.tasks.getTask(task.taskId)).toMatchObject({ status: "working" });
    await client.experimental.tasks.cancelTask(task.taskId);
  }, 60_000);

  it("honours the ttl: the granted one is returned, and an expired task is gone", async () => {
    const client = await connect(worker);
    const { task } = await startTask(client, "write_file", { path: "short.txt", content: "brief" }, 1);
    expect(task.ttl).toBe(60_000);
    await database.query(`UPDATE "GatewayTask" SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [
      task.taskId,
    ]);
    expect((await rejection(client.experimental.tasks.getTask(task.taskId))).message).toMatch(/Task not found/);
    expect((await client.experimental.tasks.listTasks()).tasks.map((listed) => listed.taskId)).not.toContain(
      task.taskId,
    );
  }, 60_000);

  it("pages tasks/list with cursors, every task once, and refuses a forged cursor", async () => {
    const client = await connect(web);
    const run = await db().run.findFirstOrThrow({ where: { userId: user.id }, select: { id: true } });
    const createdAt = new Date();
    await db().gatewayTask.createMany({
      data: Array.from({ length: TASK_PAGE_SIZE + 7 }, (_, index) => ({
        id: `paged-${String(index).padStart(3, "0")}`,
        userId: user.id,
        runId: run.id,
        ttlMs: 60_000,
        pollIntervalMs: 2_000,
        // Half of them share one createdAt: the cursor must still order them.
        createdAt: new Date(createdAt.getTime() - (index % 2) * 1_000),
        expiresAt: new Date(createdAt.getTime() + 60_000),
      })),
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.experimental.tasks.listTasks(cursor);
      seen.push(...page.tasks.map((listed) => listed.taskId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const paged = seen.filter((id) => id.startsWith("paged-"));
    expect(new Set(seen).size).toBe(seen.length);
    expect(paged).toHaveLength(TASK_PAGE_SIZE + 7);
    expect(pages).toBeGreaterThanOrEqual(2);
    for (const forged of ["not a cursor", Buffer.from('{"t":"x","i":"y"}').toString("base64url")]) {
      const refused = await rejection(client.experimental.tasks.listTasks(forged));
      expect(refused.code).toBe(ErrorCode.InvalidParams);
    }
  });
});
