/**
 * /api/mcp against the official SDK's Client over Streamable HTTP, on one started
 * Airlock instance (testing/instance.ts: the route handler, its run worker, the demo
 * tools on a temporary workspace) with real API tokens:
 * - tools/list tells the truth about classes and leaves out what policy disables;
 * - a READ call runs at once, recorded in the user's "MCP: <client>" conversation;
 * - a DESTRUCTIVE call waits (with progress) until a reviewer approves through tRPC, then
 *   returns the result, executed once; a rejection returns the reason, not an error;
 * - the wait's timeout answers "pending approval <id>" and the next identical call picks
 *   up the outcome without a second request; a client's cancel cancels the run;
 * - missing, wrong, revoked and expired tokens get 401, a foreign Origin 403, a session of
 *   another token 404; hostile client names and arguments get clear answers;
 * - the MCP Inspector CLI (pinned devDependency) lists the tools and calls one;
 * - the official conformance suite (@modelcontextprotocol/conformance, pinned) runs its
 *   server scenarios against the endpoint; failures that are expected for a tools-only
 *   server with governed calls are in conformance-baseline.yml, a reason per line, and
 *   the suite fails on any other failure and on a baseline entry that now passes.
 * Both CLIs run on the project's Node 24 (node_modules/.bin/node). The conformance CLI
 * cannot send a bearer header, so it talks to a small local proxy that adds the token
 * and passes everything else — Host and Origin included, which the DNS-rebinding
 * scenario depends on — as is.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "../auth/api-tokens";
import { db } from "../db/client";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { type Instance, killAllInstances, mutate, query, startInstance } from "../testing/instances";

const WAIT_MS = 4_000;
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules/.bin/node");
/** The CLI itself (the package's bin, cli.js, only spawns it with one more Node process). */
const INSPECTOR = path.join(ROOT, "node_modules/@modelcontextprotocol/inspector-cli/build/index.js");
const CONFORMANCE = path.join(ROOT, "node_modules/@modelcontextprotocol/conformance/dist/index.js");
const BASELINE = path.join(import.meta.dirname, "conformance-baseline.yml");

let database: TestDatabase;
let workspace: string;
let instance: Instance;
let user: { id: string };
let reviewer: { id: string };
let admin: { id: string };
let userToken: string;
const clients: Client[] = [];
let proxy: Server;
let proxyUrl: string;

/** Forwards to the instance with the bearer token added; every other header as the client sent it. */
function startProxy(target: URL, token: string): Promise<Server> {
  const server = createServer((incoming, outgoing) => {
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, authorization: `Bearer ${token}` },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    outgoing.on("close", () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  database = await createTestDatabase();
  workspace = await mkdtemp(path.join(os.tmpdir(), "airlock-mcp-gateway-"));
  await writeFile(path.join(workspace, "notes.txt"), "hello from the workspace\n");
  await writeFile(path.join(workspace, "readme.md"), "# inspected\n");
  user = await createTestUser("USER");
  reviewer = await createTestUser("REVIEWER");
  admin = await createTestUser("ADMIN");
  userToken = (await createApiToken({ userId: user.id, name: "test client", expiresInDays: 30 })).token;
  instance = await startInstance({
    databaseUrl: database.url,
    name: "mcp",
    worker: true,
    env: {
      WORKSPACE_ROOT: workspace,
      SECRETS_KEY: process.env.SECRETS_KEY ?? randomBytes(32).toString("base64"),
      MCP_APPROVAL_WAIT_MS: String(WAIT_MS),
      DEMO_MODEL_TOKEN_DELAY_MS: "0",
    },
  });
  proxy = await startProxy(new URL(instance.url), userToken);
  proxyUrl = `http://localhost:${(proxy.address() as AddressInfo).port}/api/mcp`;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await new Promise((resolve) => proxy?.close(resolve));
  await killAllInstances();
  await database?.drop();
  await rm(workspace, { recursive: true, force: true });
});

function endpoint(): URL {
  return new URL(`${instance.url}/api/mcp`);
}

async function connect(token = userToken, name = "Test Agent"): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(
    new StreamableHTTPClientTransport(endpoint(), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  clients.push(client);
  return client;
}

function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[])
    .map((part) => part.text ?? "")
    .join("");
}

async function approvalsFor(toolName: string, pathArg: string) {
  return db().approvalRequest.findMany({
    where: { requesterId: user.id, toolName, args: { path: ["path"], equals: pathArg } },
    select: { id: true, status: true, runId: true },
  });
}

/** Resolves with the approval id the first progress notification names. */
function approvalFromProgress() {
  let resolve!: (id: string) => void;
  const named = new Promise<string>((done) => {
    resolve = done;
  });
  const onprogress = (progress: { message?: string }) => {
    const id = progress.message?.match(/approval (\S+)/)?.[1];
    if (id) resolve(id);
  };
  return { named, onprogress };
}

function initializeBody(name = "raw client") {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name, version: "1" } },
  });
}

function post(headers: Record<string, string>, body = initializeBody()) {
  return fetch(endpoint(), {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
}

describe("tools/list", () => {
  it("lists the tools with their schemas and honest annotations, and leaves out a DISABLED tool", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect(byName.get("list_files")?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.get("delete_file")?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.get("delete_file")?._meta).toMatchObject({ "airlock/riskClass": "DESTRUCTIVE" });
    expect(byName.get("write_file")?.inputSchema).toMatchObject({ type: "object", properties: { path: {} } });
    expect(byName.get("send_message")).toBeDefined();

    // No override yet: its version is 0.
    await mutate(
      instance,
      "admin.tools.setClass",
      { toolName: "send_message", riskClass: "DISABLED", expectedVersion: 0 },
      admin.id,
    );
    const after = await client.listTools();
    expect(after.tools.map((tool) => tool.name)).not.toContain("send_message");
    const refused = await client.callTool({ name: "send_message", arguments: { to: "a@b.c", body: "hi" } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/not one of the tools listed/);
  });
});

describe("tools/call", () => {
  it("runs a READ call at once, as a run of the user's 'MCP: <client>' conversation", async () => {
    const client = await connect(userToken, "Read Agent");
    const result = await client.callTool({ name: "read_file", arguments: { path: "notes.txt" } });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("hello from the workspace");
    const conversations = await query<{ title: string; modelId: string }[]>(
      instance,
      "conversation.list",
      undefined,
      user.id,
    );
    expect(conversations.map((conversation) => conversation.title)).toContain("MCP: Read Agent");
  });

  it("waits for a reviewer's approval (with progress), then returns the result of one execution", async () => {
    const client = await connect(userToken, "Writer");
    const progress = approvalFromProgress();
    const call = client.callTool(
      { name: "write_file", arguments: { path: "approved.txt", content: "written once" } },
      undefined,
      { onprogress: progress.onprogress, resetTimeoutOnProgress: true },
    );
    const approvalId = await progress.named;
    // Separation of duties holds: the caller cannot approve what their own call asked for.
    await expect(
      mutate(instance, "approvals.decide", { requestId: approvalId, verdict: "approve" }, user.id),
    ).rejects.toThrow();
    await mutate(instance, "approvals.decide", { requestId: approvalId, verdict: "approve" }, reviewer.id);
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ path: "approved.txt", created: true });
    expect(await readFile(path.join(workspace, "approved.txt"), "utf8")).toBe("written once");
    const calls = await db().toolCall.findMany({
      where: { run: { userId: user.id }, toolName: "write_file", args: { path: ["path"], equals: "approved.txt" } },
      select: { status: true, attempts: true },
    });
    expect(calls).toEqual([{ status: "SUCCEEDED", attempts: 1 }]);
  });

  it("returns a rejection's reason as a plain result that says not to retry", async () => {
    const client = await connect(userToken, "Writer");
    const progress = approvalFromProgress();
    const call = client.callTool({ name: "delete_file", arguments: { path: "notes.txt" } }, undefined, {
      onprogress: progress.onprogress,
    });
    const approvalId = await progress.named;
    await mutate(
      instance,
      "approvals.decide",
      { requestId: approvalId, verdict: "reject", reason: "keep the notes <b>please</b>" },
      reviewer.id,
    );
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("keep the notes <b>please</b>");
    expect(textOf(result)).toMatch(/Do not retry/);
    expect(existsSync(path.join(workspace, "notes.txt"))).toBe(true);
  });

  it("answers 'pending approval <id>' when the wait ends; the next identical call picks up the outcome", async () => {
    const client = await connect(userToken, "Patient Agent");
    const request = { name: "write_file", arguments: { path: "later.txt", content: "decided later" } };
    const pending = await client.callTool(request);
    expect(pending.isError).toBeFalsy();
    const [approval] = await approvalsFor("write_file", "later.txt");
    expect(textOf(pending)).toContain(`pending approval ${approval?.id} — not executed`);
    expect(existsSync(path.join(workspace, "later.txt"))).toBe(false);

    await mutate(instance, "approvals.decide", { requestId: approval?.id, verdict: "approve" }, reviewer.id);
    await waitForRunStatus(approval?.runId as string, ["COMPLETED"]);
    // The same arguments in another key order are the same call.
    const again = await client.callTool({
      name: "write_file",
      arguments: { content: "decided later", path: "later.txt" },
    });
    expect(again.isError).toBeFalsy();
    expect(again.structuredContent).toMatchObject({ path: "later.txt", created: true });
    expect(await approvalsFor("write_file", "later.txt")).toHaveLength(1);

    // Its outcome was delivered: asking once more is a new call, with a new request.
    const progress = approvalFromProgress();
    const abort = new AbortController();
    const third = client.callTool(request, undefined, { onprogress: progress.onprogress, signal: abort.signal });
    const thirdApproval = await progress.named;
    abort.abort();
    await expect(third).rejects.toThrow();
    expect(thirdApproval).not.toBe(approval?.id);
    expect(await approvalsFor("write_file", "later.txt")).toHaveLength(2);
  }, 60_000);

  it("cancels the run when the client cancels the call", async () => {
    const client = await connect(userToken, "Impatient Agent");
    const progress = approvalFromProgress();
    const abort = new AbortController();
    const call = client.callTool(
      { name: "delete_file", arguments: { path: "notes.txt", recursive: false } },
      undefined,
      { onprogress: progress.onprogress, signal: abort.signal },
    );
    const approvalId = await progress.named;
    abort.abort("changed my mind");
    await expect(call).rejects.toThrow();
    const request = await db().approvalRequest.findUniqueOrThrow({
      where: { id: approvalId },
      select: { runId: true },
    });
    expect(await waitForRunStatus(request.runId, ["CANCELLED"])).toBe("CANCELLED");
    expect(existsSync(path.join(workspace, "notes.txt"))).toBe(true);
  });
});

describe("refusals", () => {
  it("refuses a missing, wrong, revoked or expired token with 401, a JSON-RPC error and WWW-Authenticate", async () => {
    const revoked = await createApiToken({ userId: user.id, name: "to revoke", expiresInDays: 1 });
    await revokeApiToken({ userId: user.id, tokenId: revoked.id });
    const expired = await createApiToken({ userId: user.id, name: "to expire", expiresInDays: 1 });
    await database.query(`UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    const cases: [string, Record<string, string>, RegExp][] = [
      ["missing", {}, /^Bearer realm="airlock"$/],
      ["wrong", { authorization: `Bearer alk_${"A".repeat(43)}` }, /invalid_token/],
      ["malformed", { authorization: "Basic dXNlcjpwYXNz" }, /invalid_token/],
      ["revoked", { authorization: `Bearer ${revoked.token}` }, /revoked/],
      ["expired", { authorization: `Bearer ${expired.token}` }, /expired/],
    ];
    for (const [label, headers, challenge] of cases) {
      const response = await post(headers);
      expect(response.status, label).toBe(401);
      expect(response.headers.get("www-authenticate"), label).toMatch(challenge);
      const body = (await response.json()) as { jsonrpc: string; error: { code: number; message: string } };
      expect(body.jsonrpc, label).toBe("2.0");
      expect(body.error.message, label).toMatch(/^Unauthorized: /);
    }
  });

  it("refuses a foreign Origin with 403 and serves no Origin or a loopback page", async () => {
    const authorization = `Bearer ${userToken}`;
    for (const origin of ["http://evil.example.com", "null", "http://localhost.evil.example.com", "not a url"]) {
      expect((await post({ authorization, origin })).status, origin).toBe(403);
    }
    expect((await post({ authorization })).status).toBe(200);
    expect((await post({ authorization, origin: instance.url })).status).toBe(200);
  });

  it("a session id works only with the token that opened it; requests without one are told to initialize", async () => {
    const opened = await post({ authorization: `Bearer ${userToken}` });
    const sessionId = opened.headers.get("mcp-session-id") as string;
    expect(sessionId).toMatch(/^[\x21-\x7e]+$/);
    const other = (await createApiToken({ userId: reviewer.id, name: "other", expiresInDays: 1 })).token;
    const list = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
    const headers = { "mcp-protocol-version": "2025-11-25" };
    expect(
      (await post({ ...headers, authorization: `Bearer ${other}`, "mcp-session-id": sessionId }, list)).status,
    ).toBe(404);
    expect((await post({ ...headers, authorization: `Bearer ${userToken}` }, list)).status).toBe(400);
    expect(
      (await post({ ...headers, authorization: `Bearer ${userToken}`, "mcp-session-id": `${sessionId}x` }, list))
        .status,
    ).toBe(404);
    expect(
      (await post({ ...headers, authorization: `Bearer ${userToken}`, "mcp-session-id": sessionId }, list)).status,
    ).toBe(200);
    expect((await post({ authorization: `Bearer ${userToken}` }, "{not json")).status).toBe(400);
    const get = await fetch(endpoint(), {
      headers: { authorization: `Bearer ${userToken}`, accept: "text/event-stream" },
    });
    expect(get.status).toBe(405);
  });

  it("keeps a hostile client name to a clean, bounded title and answers hostile arguments clearly", async () => {
    const hostile = `\u202eevil\nname\u0000<script>alert(1)</script>${"x".repeat(500)}`;
    const client = await connect(userToken, hostile);
    const escaped = await client.callTool({ name: "read_file", arguments: { path: "../../etc/passwd" } });
    expect(escaped.isError).toBe(true);
    const invalid = await client.callTool({ name: "read_file", arguments: { path: 42, __proto__: { polluted: 1 } } });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/Invalid arguments/);
    await expect(
      client.callTool({ name: "write_file", arguments: { path: "big.txt", content: "y".repeat(200_000) } }),
    ).rejects.toThrow(/too large/);
    const unknown = await client.callTool({ name: "no such tool\nMCP tools/call delete_file", arguments: {} });
    expect(unknown.isError).toBe(true);
    const titles = (await query<{ title: string }[]>(instance, "conversation.list", undefined, user.id)).map(
      (conversation) => conversation.title,
    );
    const title = titles.find((candidate) => candidate.startsWith("MCP: evil"));
    expect(title).toBeDefined();
    expect(title).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect([...(title as string)].length).toBeLessThanOrEqual("MCP: ".length + 80);
  });
});

async function inspector(...args: string[]) {
  const { stdout } = await run(
    NODE,
    [
      INSPECTOR,
      `${instance.url}/api/mcp`,
      "--transport",
      "http",
      "--header",
      `Authorization: Bearer ${userToken}`,
      ...args,
    ],
    // Its build dir as cwd: 1.0.3 tests for "../package.json" relative to the cwd but imports it relative to itself.
    { cwd: path.dirname(INSPECTOR), timeout: 60_000 },
  );
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("the MCP Inspector CLI", () => {
  it("lists the tools and calls a READ tool", async () => {
    const [listed, called] = (await Promise.all([
      inspector("--method", "tools/list"),
      inspector("--method", "tools/call", "--tool-name", "read_file", "--tool-arg", "path=readme.md"),
    ])) as [{ tools: { name: string }[] }, { content: { text: string }[]; isError?: boolean }];
    expect(listed.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["read_file", "write_file"]));
    expect(called.isError).toBeFalsy();
    expect(called.content[0]?.text).toContain("# inspected");
  }, 90_000);
});

describe("the official conformance suite (server scenarios)", () => {
  it("passes every scenario but the baseline's expected failures", async () => {
    const outcome = await run(
      NODE,
      [CONFORMANCE, "server", "--url", proxyUrl, "--suite", "all", "--expected-failures", BASELINE],
      {
        cwd: ROOT,
        timeout: 120_000,
      },
    ).then(
      (done) => ({ code: 0, output: `${done.stdout}\n${done.stderr}` }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        output: `${error.stdout ?? ""}\n${error.stderr ?? ""}`,
      }),
    );
    expect(outcome.output, outcome.output).toContain("Baseline check passed");
    expect(outcome.code, outcome.output).toBe(0);
  }, 150_000);
});
