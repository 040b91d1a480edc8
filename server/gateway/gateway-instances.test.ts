/**
 * MCP across instances: two Airlock instances (testing/instance.ts, each its own process
 * with its route handlers, run worker and MCP client connections) on one database.
 * - The gateway keeps no state: a session the SDK's Client opened on A serves tools/list
 *   and READ calls on B and on A; a DESTRUCTIVE call made on A waits while a reviewer
 *   approves on B, and A's waiting call returns the real result of one execution; a
 *   client's cancel that reaches B cancels the call waiting on A. A session id forged,
 *   or signed with another token, is refused on both alike.
 * - MCP configuration reaches the other instance through NOTIFY: a server an admin
 *   registers on A is connected and listed by B on its own; confirming a tool's class, a
 *   name-pattern rule, a class change and disabling the server each show in B's next
 *   tools/list within a bound well under the 30 s fingerprint check (so it is the NOTIFY,
 *   not the timer), and B's calls behave accordingly.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../auth/api-tokens";
import { db } from "../db/client";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { type Instance, killAllInstances, mutate, query, startInstances } from "../testing/instances";
import { createSessionId } from "./session";

const MISBEHAVING_SERVER = path.join(import.meta.dirname, "../mcp/testing/misbehaving-server.mjs");
/** Well under the manager's 30 s fingerprint check: a change seen within it came by NOTIFY. */
const PROPAGATION_BOUND_MS = 10_000;

let database: TestDatabase;
let workspace: string;
let a: Instance;
let b: Instance;
let user: { id: string };
let reviewer: { id: string };
let admin: { id: string };
let userToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  workspace = await mkdtemp(path.join(os.tmpdir(), "airlock-gateway-instances-"));
  await writeFile(path.join(workspace, "notes.txt"), "hello from the shared workspace\n");
  user = await createTestUser("USER");
  reviewer = await createTestUser("REVIEWER");
  admin = await createTestUser("ADMIN");
  userToken = (await createApiToken({ userId: user.id, name: "roaming client", expiresInDays: 30 })).token;
  const env = {
    WORKSPACE_ROOT: workspace,
    SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString("base64"),
    MCP_APPROVAL_WAIT_MS: "60000",
    DEMO_MODEL_TOKEN_DELAY_MS: "0",
  };
  [a, b] = (await startInstances(database.url, [
    { name: "a", worker: true, env },
    { name: "b", worker: true, env },
  ])) as [Instance, Instance];
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  // SIGTERM first: each instance closes its MCP connections and kills its stdio servers.
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await killAllInstances();
  await database?.drop();
  await rm(workspace, { recursive: true, force: true });
});

interface Served {
  instance: string;
  method: string;
  status: number;
}

/**
 * A fetch for the SDK's transport that sends each request where `route` says, by its
 * JSON-RPC method and how many of that method went before; what went where is in `served`.
 */
function routedFetch(route: (method: string, count: number) => Instance) {
  const served: Served[] = [];
  const counts = new Map<string, number>();
  const fetchLike: FetchLike = async (_url, init) => {
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as { method?: string }) : undefined;
    const method = body?.method ?? String(init?.method ?? "GET");
    const count = counts.get(method) ?? 0;
    counts.set(method, count + 1);
    const target = route(method, count);
    const response = await fetch(`${target.url}/api/mcp`, init);
    served.push({ instance: target.name, method, status: response.status });
    return response;
  };
  return { served, fetchLike };
}

/** initialize to `first`, every other method alternately to `other` and `first`, starting with `other`. */
const roamingFetch = (first: Instance, other: Instance) =>
  routedFetch((method, count) => (method === "initialize" || count % 2 === 1 ? first : other));

async function connect(name: string, fetchLike?: FetchLike, on: Instance = a): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${on.url}/api/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${userToken}` } },
      ...(fetchLike ? { fetch: fetchLike } : {}),
    }),
  );
  clients.push(client);
  return client;
}

function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[])
    .map((part) => part.text ?? "")
    .join("");
}

function post(instance: Instance, headers: Record<string, string>, body: unknown) {
  return fetch(`${instance.url}/api/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${userToken}`,
      "mcp-protocol-version": "2025-11-25",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

describe("the gateway on two instances", { timeout: 120_000 }, () => {
  it("serves a session opened on A on B and on A: tools/list and READ calls on either", async () => {
    const { served, fetchLike } = roamingFetch(a, b);
    const client = await connect("Roaming Agent", fetchLike);
    const onB = await client.listTools();
    const onA = await client.listTools();
    expect(onB.tools.map((tool) => tool.name)).toEqual(onA.tools.map((tool) => tool.name));
    expect(onB.tools.find((tool) => tool.name === "read_file")?._meta).toMatchObject({
      "airlock/riskClass": "READ",
    });
    for (const _ of [b, a]) {
      const read = await client.callTool({ name: "read_file", arguments: { path: "notes.txt" } });
      expect(read.isError).toBeFalsy();
      expect(textOf(read)).toContain("hello from the shared workspace");
    }
    const where = (method: string) => served.filter((each) => each.method === method);
    expect(where("initialize")).toEqual([{ instance: "a", method: "initialize", status: 200 }]);
    expect(where("tools/list").map((each) => [each.instance, each.status])).toEqual([
      ["b", 200],
      ["a", 200],
    ]);
    expect(where("tools/call").map((each) => [each.instance, each.status])).toEqual([
      ["b", 200],
      ["a", 200],
    ]);
    // Both calls were runs of the one "MCP: Roaming Agent" conversation of the user, whichever instance took them.
    const conversations = await query<{ title: string }[]>(b, "conversation.list", undefined, user.id);
    expect(conversations.filter((conversation) => conversation.title === "MCP: Roaming Agent")).toHaveLength(1);
  });

  it("a DESTRUCTIVE call made on A waits; a reviewer approves on B; A's call returns the result of one execution", async () => {
    const client = await connect("Writer on A");
    let named!: (id: string) => void;
    const approvalId = new Promise<string>((resolve) => {
      named = resolve;
    });
    const call = client.callTool(
      { name: "write_file", arguments: { path: "across.txt", content: "written once, approved elsewhere" } },
      undefined,
      {
        onprogress: (progress) => {
          const id = progress.message?.match(/approval (\S+)/)?.[1];
          if (id) named(id);
        },
        resetTimeoutOnProgress: true,
      },
    );
    const id = await approvalId;
    expect(existsSync(path.join(workspace, "across.txt"))).toBe(false);
    // B shows the request in the reviewer's inbox, and the decision is taken there.
    const inbox = await query<{ id: string; toolName: string }[]>(b, "approvals.list", {}, reviewer.id);
    expect(inbox.find((item) => item.id === id)).toMatchObject({ toolName: "write_file" });
    await mutate(b, "approvals.decide", { requestId: id, verdict: "approve" }, reviewer.id);
    // A second approval (a retry, or a reviewer on A) is refused: the decision is single-use.
    await expect(mutate(a, "approvals.decide", { requestId: id, verdict: "approve" }, reviewer.id)).rejects.toThrow();
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ path: "across.txt", created: true });
    expect(await readFile(path.join(workspace, "across.txt"), "utf8")).toBe("written once, approved elsewhere");
    const calls = await db().toolCall.findMany({
      where: { run: { userId: user.id }, toolName: "write_file", args: { path: ["path"], equals: "across.txt" } },
      select: { status: true, attempts: true },
    });
    expect(calls).toEqual([{ status: "SUCCEEDED", attempts: 1 }]);
  });

  it("a cancel that reaches B stops the call waiting on A: its run is cancelled, nothing executed", async () => {
    const { served, fetchLike } = routedFetch((method) => (method === "notifications/cancelled" ? b : a));
    const client = await connect("Cancelling Agent", fetchLike);
    const abort = new AbortController();
    let named!: (id: string) => void;
    const approvalId = new Promise<string>((resolve) => {
      named = resolve;
    });
    const call = client.callTool({ name: "delete_file", arguments: { path: "notes.txt" } }, undefined, {
      signal: abort.signal,
      onprogress: (progress) => {
        const id = progress.message?.match(/approval (\S+)/)?.[1];
        if (id) named(id);
      },
    });
    const id = await approvalId;
    abort.abort("changed my mind");
    await expect(call).rejects.toThrow();
    const { runId } = await db().approvalRequest.findUniqueOrThrow({ where: { id }, select: { runId: true } });
    expect(await waitForRunStatus(runId, ["CANCELLED"])).toBe("CANCELLED");
    expect(served.filter((each) => each.method === "tools/call").map((each) => each.instance)).toEqual(["a"]);
    expect(served.filter((each) => each.method === "notifications/cancelled")).toEqual([
      { instance: "b", method: "notifications/cancelled", status: 202 },
    ]);
    expect(existsSync(path.join(workspace, "notes.txt"))).toBe(true);
  });

  it("refuses a forged session id, or one signed with another token, on both instances alike", async () => {
    const opened = await post(
      a,
      {},
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "honest", version: "1" } },
      },
    );
    const genuine = opened.headers.get("mcp-session-id") as string;
    const [payload, mac] = genuine.split(".") as [string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, string>;
    const renamed = Buffer.from(JSON.stringify({ ...claims, n: "Admin Console" })).toString("base64url");
    const forged = {
      "payload changed, signature kept": `${renamed}.${mac}`,
      "signed with another token": createSessionId(
        { clientName: "honest", protocolVersion: "2025-11-25" },
        `alk_${randomBytes(32).toString("base64url")}`,
      ),
      "signed with the payload as key": createSessionId({ clientName: "honest", protocolVersion: "2025-11-25" }, ""),
      "no signature": payload,
      "one more part": `${genuine}.x`,
    };
    const list = { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} };
    for (const instance of [a, b]) {
      expect((await post(instance, { "mcp-session-id": genuine }, list)).status, instance.name).toBe(200);
      for (const [label, sessionId] of Object.entries(forged)) {
        const response = await post(instance, { "mcp-session-id": sessionId }, list);
        expect(response.status, `${label} on ${instance.name}`).toBe(404);
        expect(await response.json(), `${label} on ${instance.name}`).toEqual({
          jsonrpc: "2.0",
          error: { code: -32600, message: "Session not found: initialize a new session." },
          id: null,
        });
      }
    }
    // The SDK's Client, handed a forged session, gets the same refusal as an error on either instance.
    for (const instance of [a, b]) {
      const client = new Client({ name: "forger", version: "1" });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${instance.url}/api/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${userToken}` } },
          sessionId: forged["signed with another token"],
        }),
      );
      clients.push(client);
      await expect(client.listTools()).rejects.toThrow(/Session not found/);
    }
  });
});

interface ListedMeta {
  name: string;
  _meta?: Record<string, unknown>;
}

/** B's listing of one tool, re-read until `done` holds or the bound passes; with how long it took. */
async function untilListed(
  client: Client,
  toolName: string,
  done: (tool: ListedMeta | undefined) => boolean,
  boundMs = PROPAGATION_BOUND_MS,
): Promise<{ tool: ListedMeta | undefined; ms: number }> {
  const started = performance.now();
  for (;;) {
    const { tools } = await client.listTools();
    const tool = tools.find((each) => each.name === toolName) as ListedMeta | undefined;
    const ms = performance.now() - started;
    if (done(tool)) return { tool, ms };
    if (ms > boundMs) throw new Error(`${toolName} on B after ${Math.round(ms)} ms: ${JSON.stringify(tool)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Re-reads until `done` holds; the last value once the bound passes. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, boundMs = PROPAGATION_BOUND_MS) {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const statesOf = async (instance: Instance) =>
  (await adminServer(instance, "shifty")).statuses.map((status) => status.state);

interface AdminServer {
  id: string;
  version: number;
  statuses: { instanceId: string; state: string }[];
  tools: { id: string; name: string; version: number; confirmation: string }[];
}

async function adminServer(instance: Instance, name: string): Promise<AdminServer> {
  const servers = await query<(AdminServer & { name: string })[]>(
    instance,
    "admin.mcpServers.list",
    undefined,
    admin.id,
  );
  const found = servers.find((server) => server.name === name);
  if (!found) throw new Error(`no MCP server named ${name}`);
  return found;
}

/** Calls the tool on B and reports whether it ran at once, waited for an approval (then cancelled), or was refused. */
async function callOnB(client: Client, name: string, text: string) {
  const abort = new AbortController();
  let approval: string | undefined;
  const outcome = await client
    .callTool({ name, arguments: { text } }, undefined, {
      signal: abort.signal,
      onprogress: (progress) => {
        approval = progress.message?.match(/approval (\S+)/)?.[1];
        if (approval) abort.abort();
      },
    })
    .then(
      (result) => ({ kind: result.isError ? ("refused" as const) : ("ran" as const), text: textOf(result) }),
      (error: Error) => (approval ? { kind: "awaited-approval" as const, text: approval } : Promise.reject(error)),
    );
  return outcome;
}

describe("MCP configuration across instances", { timeout: 180_000 }, () => {
  it("an admin's changes on A reach B's next tools/list and calls through NOTIFY, without a restart", async () => {
    const onB = await connect("Agent on B", undefined, b);
    const took: Record<string, number> = {};

    // Registered on A: B connects by itself (its own child process) and lists the tools.
    await mutate(
      a,
      "admin.mcpServers.create",
      {
        transport: "STDIO",
        name: "shifty",
        enabled: true,
        newToolMode: "NEEDS_APPROVAL",
        defaultRiskClass: null,
        callTimeoutMs: 10_000,
        command: process.execPath,
        args: [MISBEHAVING_SERVER],
        cwd: null,
        env: [],
      },
      admin.id,
    );
    // Connecting spawns a Node child on B and lists its tools: allow it twice the bound.
    const registered = await untilListed(onB, "shifty__echo", (tool) => tool !== undefined, 2 * PROPAGATION_BOUND_MS);
    took.registered = registered.ms;
    // New and unconfirmed: the listing says a reviewer must approve, whatever its readOnlyHint claims.
    expect(registered.tool?._meta).toMatchObject({ "airlock/riskClass": "READ", "airlock/approval": "required" });
    expect((await callOnB(onB, "shifty__echo", "before")).kind).toBe("awaited-approval");
    // Each instance has its own connection, and says so.
    expect(
      await waitFor(
        () => statesOf(a),
        (states) => states.length === 2 && states.every((state) => state === "READY"),
      ),
    ).toEqual(["READY", "READY"]);

    // Confirmed READ on A (typed out): B lists it as running at once, and runs it.
    const echo = (await adminServer(a, "shifty")).tools.find((tool) => tool.name === "shifty__echo");
    await mutate(
      a,
      "admin.mcpServers.confirmTool",
      { toolId: echo?.id, expectedVersion: echo?.version, riskClass: "READ", confirmation: "shifty__echo" },
      admin.id,
    );
    took.confirmed = (
      await untilListed(onB, "shifty__echo", (tool) => tool?._meta?.["airlock/approval"] === "none")
    ).ms;
    const ran = await callOnB(onB, "shifty__echo", "confirmed");
    expect(ran.kind).toBe("ran");
    expect(ran.text).toContain("echo: confirmed");

    // A name-pattern rule on A disables every tool of the server: gone from B's list, refused on B.
    const rule = await mutate<{ id: string; version: number }>(
      a,
      "admin.rules.create",
      { toolName: "shifty__*", description: "shifty is off limits", conditions: [], effect: { riskClass: "DISABLED" } },
      admin.id,
    );
    took.ruleAdded = (await untilListed(onB, "shifty__echo", (tool) => tool === undefined)).ms;
    expect((await callOnB(onB, "shifty__echo", "ruled out")).kind).toBe("refused");
    await mutate(a, "admin.rules.delete", { id: rule.id, expectedVersion: rule.version }, admin.id);
    took.ruleRemoved = (await untilListed(onB, "shifty__echo", (tool) => tool !== undefined)).ms;

    // Its confirmed class changed on A to DESTRUCTIVE: B asks a reviewer again.
    const confirmed = (await adminServer(a, "shifty")).tools.find((tool) => tool.name === "shifty__echo");
    await mutate(
      a,
      "admin.mcpServers.confirmTool",
      { toolId: confirmed?.id, expectedVersion: confirmed?.version, riskClass: "DESTRUCTIVE" },
      admin.id,
    );
    took.reclassified = (
      await untilListed(onB, "shifty__echo", (tool) => tool?._meta?.["airlock/riskClass"] === "DESTRUCTIVE")
    ).ms;
    expect((await callOnB(onB, "shifty__echo", "reclassified")).kind).toBe("awaited-approval");

    // Disabled on A: B drops its tools and closes its connection.
    const server = await adminServer(a, "shifty");
    await mutate(
      a,
      "admin.mcpServers.setEnabled",
      { serverId: server.id, expectedVersion: server.version, enabled: false },
      admin.id,
    );
    took.disabled = (await untilListed(onB, "shifty__echo", (tool) => tool === undefined)).ms;
    expect((await callOnB(onB, "shifty__echo", "disabled")).kind).toBe("refused");
    expect(
      await waitFor(
        () => statesOf(b),
        (states) => states.length === 2 && states.every((state) => state === "STOPPED"),
      ),
    ).toEqual(["STOPPED", "STOPPED"]);
    // For the report: how long B took to see each change (ms).
    console.info(
      "MCP configuration A → B (ms):",
      JSON.stringify(took, (_key, value) => (typeof value === "number" ? Math.round(value) : value)),
    );
  });
});
