/**
 * Every procedure of the router, walked with hostile input over real HTTP through tRPC's
 * fetch handler (the one app/api/trpc/[trpc]/route.ts serves): NUL bytes, lone
 * surrogates, overlong strings, numbers past the column's range, 19-digit cursors, dates
 * PostgreSQL cannot store, wrong types, missing input. Whatever a client sends is a 4xx
 * with a message, never a 500 — and never an internal error from inside a stream.
 *
 * The procedures are found by walking the router, and each needs a valid input below: a
 * procedure added later fails here until it is given one, and is then probed like the rest.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { resetEnvForTests } from "../env";
import { INT32_MAX, storableJsonCheck, storableTextCheck } from "../shared/text";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { appRouter } from "./root";
import { createInnerContext } from "./trpc";

interface ProcedureDefinition {
  type: "query" | "mutation" | "subscription";
  inputs: z.ZodType[];
}
const PROCEDURES = appRouter._def.procedures as unknown as Record<string, { _def: ProcedureDefinition }>;

let database: TestDatabase;
let server: Server;
let baseUrl: string;
let adminId: string;
let fixtures: Fixtures;

interface Fixtures {
  conversationId: string;
  idleConversationId: string;
  runId: string;
  ruleId: string;
  targetUserId: string;
}

/** Well-formed ids that name nothing: the refusal is NOT_FOUND, after the input passed. */
const UNKNOWN_CUID = "cnotarealid00000000000000";
const UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000";
const PASSWORD = "correct horse battery";

/** Requests carry the acting user in a header only this test's server reads. */
async function handle(request: IncomingMessage): Promise<Response> {
  const pieces: Buffer[] = [];
  for await (const piece of request) pieces.push(piece as Buffer);
  const body = Buffer.concat(pieces);
  const userId = request.headers["x-test-user"];
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(`${baseUrl}${request.url}`, {
      method: request.method,
      headers: { "content-type": "application/json", accept: String(request.headers.accept ?? "*/*") },
      ...(request.method === "GET" || request.method === "HEAD" ? {} : { body }),
    }),
    router: appRouter,
    // As if signed in just now: probes such as me.signOutEverywhere end the acting user's
    // earlier sessions, and this walk is about input, not sessions (session-revocation.test.ts).
    createContext: async () => {
      if (typeof userId !== "string") return createInnerContext({ userId: null });
      const [user] = await database.query<{ sessionVersion: number }>(
        `SELECT "sessionVersion" FROM "User" WHERE id = $1`,
        [userId],
      );
      return createInnerContext({ userId, sessionVersion: user?.sessionVersion ?? 1 });
    },
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.SECRETS_KEY = randomBytes(32).toString("base64");
  resetEnvForTests();
  server = createServer({ maxHeaderSize: 8 * 1024 * 1024 }, (request, response) => {
    handle(request)
      .then(async (answer) => {
        response.writeHead(answer.status, Object.fromEntries(answer.headers));
        const reader = answer.body?.getReader();
        for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
          response.write(chunk.value);
        }
        response.end();
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const admin = await createTestUser("ADMIN", PASSWORD);
  adminId = admin.id;
  const conversation = await createTestConversation(adminId);
  const idle = await createTestConversation(adminId);
  const runId = await sendTestMessage(adminId, conversation.id, "hello");
  const target = await createTestUser("USER");
  const caller = appRouter.createCaller(createInnerContext({ userId: adminId }));
  const rule = await caller.admin.rules.create(validRule());
  fixtures = {
    conversationId: conversation.id,
    idleConversationId: idle.id,
    runId,
    ruleId: rule.id,
    targetUserId: target.id,
  };
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await database?.drop();
});

function validRule() {
  return {
    toolName: "list_files",
    description: "probe rule",
    conditions: [{ path: "args.path", operator: "equals" as const, value: "probe" }],
    effect: { decision: "DENY" as const },
    enabled: false,
  };
}

function validStdioServer() {
  return {
    transport: "STDIO",
    name: "probe_stdio",
    enabled: false,
    newToolMode: "NEEDS_APPROVAL",
    defaultRiskClass: null,
    callTimeoutMs: 10_000,
    command: "node",
    // Few leaves (every leaf is probed ~26 ways): a setting's name, value and flag are probed through update.
    args: [],
    cwd: "/tmp",
    env: [],
  };
}

function validHttpServer() {
  return {
    transport: "HTTP",
    name: "probe_http",
    enabled: false,
    newToolMode: "DISABLED",
    defaultRiskClass: "READ",
    callTimeoutMs: 10_000,
    url: "http://127.0.0.1:9/mcp",
    // As few leaves as the schema allows: each is probed ~26 ways, over HTTP.
    headers: [],
    bearerToken: { action: "clear" },
  };
}

/** One or more valid inputs per procedure that takes input; the probes are variations of them. */
function validInputs(f: Fixtures): Record<string, unknown[]> {
  return {
    "admin.tools.setClass": [{ toolName: "list_files", riskClass: "READ", expectedVersion: 0, confirmation: "x" }],
    "admin.tools.simulate": [
      { toolName: "list_files", args: { path: "docs" }, role: "USER", conversationId: f.conversationId },
    ],
    // One transport per procedure keeps the walk short: create probes stdio, update probes HTTP.
    "admin.mcpServers.create": [validStdioServer()],
    "admin.mcpServers.update": [{ serverId: UNKNOWN_UUID, expectedVersion: 1, server: validHttpServer() }],
    "admin.mcpServers.setEnabled": [{ serverId: UNKNOWN_UUID, expectedVersion: 1, enabled: true }],
    "admin.mcpServers.delete": [{ serverId: UNKNOWN_UUID, expectedVersion: 1 }],
    "admin.mcpServers.testConnection": [{ serverId: UNKNOWN_UUID }],
    "admin.mcpServers.confirmTool": [{ toolId: UNKNOWN_CUID, expectedVersion: 1, riskClass: "READ" }],
    "admin.rules.create": [validRule()],
    "admin.rules.update": [{ id: f.ruleId, expectedVersion: 1, rule: validRule() }],
    "admin.rules.delete": [{ id: f.ruleId, expectedVersion: 1 }],
    "admin.rules.reorder": [{ orderedIds: [f.ruleId], expectedPolicyVersion: 1 }],
    "admin.users.list": [{ search: "user", role: "USER", status: "all", page: 1, pageSize: 25 }],
    "admin.users.create": [
      { email: "probe@example.com", name: "Probe", role: "USER", temporaryPassword: "a long temporary one" },
    ],
    "admin.users.changeRole": [{ userId: f.targetUserId, role: "REVIEWER", expectedVersion: 1 }],
    "admin.users.setActive": [{ userId: f.targetUserId, active: true, expectedVersion: 1 }],
    "admin.users.resetPassword": [
      { userId: f.targetUserId, temporaryPassword: "a long temporary one", expectedVersion: 1 },
    ],
    "admin.models.saveProvider": [
      {
        provider: "compatible",
        expectedVersion: 0,
        enabled: false,
        baseUrl: "http://127.0.0.1:9/v1",
        apiKey: { action: "set", value: "sk-probe-key-1234" },
        models: ["probe-model"],
      },
    ],
    "admin.models.removeProvider": [{ provider: "compatible", expectedVersion: 0 }],
    "admin.models.setDefault": [{ modelId: "demo", expectedVersion: 0 }],
    "admin.models.testConnection": [{ provider: "compatible", modelName: "probe-model" }],
    "admin.settings.update": [
      {
        expectedVersion: 1,
        defaultRequiredApprovals: 1,
        defaultExpiryMinutes: 60,
        sensitiveReadsNeedApproval: true,
        sensitiveTables: ["billing.cards"],
        destructiveAutoRunConfirmed: false,
        confirmation: "probe",
      },
    ],
    "admin.audit.list": [
      {
        actor: "probe",
        action: "run.created",
        targetType: "run",
        targetId: "probe",
        from: new Date("2020-01-01T00:00:00Z"),
        to: new Date("2030-01-01T00:00:00Z"),
        cursor: "1",
        limit: 25,
      },
    ],
    "admin.secrets.set": [{ name: "PROBE_SECRET", value: "probe value" }],
    "admin.secrets.delete": [{ name: "PROBE_SECRET" }],
    "approvals.list": [
      {
        statuses: ["PENDING"],
        riskClasses: ["DESTRUCTIVE"],
        toolName: "delete_file",
        requesterId: adminId,
        olderThanMinutes: 1,
        newerThanMinutes: 60,
        limit: 10,
      },
    ],
    "approvals.get": [{ id: UNKNOWN_CUID }],
    "approvals.decide": [
      { requestId: UNKNOWN_CUID, verdict: "reject", reason: "probe" },
      { requestId: UNKNOWN_CUID, verdict: "approve", reason: "probe", editedArgs: { path: "docs/probe.md" } },
    ],
    "approvals.decideMany": [{ requestIds: [UNKNOWN_CUID], verdict: "reject", reason: "probe" }],
    "approvals.cancel": [{ requestId: UNKNOWN_CUID }],
    "me.changePassword": [
      { currentPassword: "not the password", newPassword: "x".repeat(20), confirmPassword: "x".repeat(20) },
    ],
    "apiTokens.create": [{ name: "probe", expiresInDays: 30 }],
    "apiTokens.revoke": [{ tokenId: UNKNOWN_CUID }],
    "me.setTheme": [{ theme: "DARK" }],
    "conversation.create": [{ title: "probe", modelId: "demo" }],
    "conversation.rename": [{ id: f.conversationId, title: "probe" }],
    "conversation.setModel": [{ id: f.conversationId, modelId: "demo" }],
    "conversation.delete": [{ id: UNKNOWN_CUID }],
    "conversation.get": [{ id: f.conversationId }],
    "chat.send": [{ conversationId: f.idleConversationId, text: "probe" }],
    "chat.cancel": [{ runId: UNKNOWN_UUID }],
    "observability.runTrace": [{ runId: f.runId }],
    "chat.events": [{ runId: f.runId, lastEventId: "0" }],
  };
}

type Path = (string | number)[];

/** Every leaf of a value with its path: the places a probe replaces. */
function leaves(value: unknown, path: Path = []): { path: Path; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, [...path, index]));
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    return Object.entries(value).flatMap(([key, item]) => leaves(item, [...path, key]));
  }
  return [{ path, value }];
}

function replaceAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...Path];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<string | number, unknown>;
  copy[head] = replaceAt(copy[head], rest, replacement);
  return copy;
}

/** Stands for 5,000 levels of nesting, written into the request body by hand (superjson's own walk would overflow). */
const DEEP = "@@deeply-nested@@";
const DEEP_JSON = `${'{"deeper":'.repeat(5_000)}"bottom"${"}".repeat(5_000)}`;

/** The request body as the client library writes it, with the deep probe spliced in. */
function serialize(input: unknown): string {
  return JSON.stringify(superjson.serialize(input)).replaceAll(JSON.stringify(DEEP), DEEP_JSON);
}

const HOSTILE_STRINGS: [string, string][] = [
  ["a NUL byte", "probe\u0000probe"],
  ["only a NUL byte", "\u0000"],
  ["a lone high surrogate", "probe\ud800"],
  ["a lone low surrogate", "\udc00probe"],
  ["300,000 characters", "x".repeat(300_000)],
  ["a 19-digit number", "9".repeat(19)],
  ["a 30-digit number", "9".repeat(30)],
];

const HOSTILE_VALUES: [string, unknown][] = [
  ["2^31", 2 ** 31],
  ["-2^31 - 1", -(2 ** 31) - 1],
  ["2^63", 2 ** 63],
  ["-1", -1],
  ["1.5", 1.5],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["a BigInt", 2n ** 70n],
  ["the latest JavaScript date", new Date(8.64e15)],
  ["the earliest JavaScript date", new Date(-8.64e15)],
  ["year 0", new Date("0000-01-01T00:00:00Z")],
  ["an invalid date", new Date(Number.NaN)],
  ["null", null],
  ["a string for a number", "12"],
  ["a number for a string", 42],
  ["an object", { "\u0000key": "\u0000" }],
  ["a lone surrogate key", { "key\ud800": 1 }],
  ["5,000 levels of nesting", DEEP],
  ["20,000 items", Array.from({ length: 20_000 }, () => "x")],
];

const WHOLE_INPUTS: [string, unknown][] = [
  ["no input", undefined],
  ["null", null],
  ["a number", 42],
  ["a string", "probe\u0000"],
  ["an empty list", []],
  ["an empty object", {}],
  ["an unexpected key with a NUL", { "unexpected\u0000": "\u0000" }],
];

interface Probe {
  label: string;
  input: unknown;
  /** Text PostgreSQL cannot store, or too much of it: the input itself must be refused, naming the field. */
  mustRefuse: boolean;
  field: string;
}

function probesFor(validInput: unknown): Probe[] {
  const probes: Probe[] = WHOLE_INPUTS.map(([label, input]) => ({
    label: `whole input: ${label}`,
    input,
    mustRefuse: false,
    field: "",
  }));
  probes.push({
    label: "the valid input plus an unexpected key",
    input: addKey(validInput),
    mustRefuse: false,
    field: "",
  });
  for (const leaf of leaves(validInput)) {
    const where = leaf.path.join(".") || "(input)";
    for (const [label, value] of HOSTILE_STRINGS) {
      // Free-form tool arguments are bounded as a whole; each argument's length is the tool's schema's to judge.
      const freeForm = leaf.path.some((segment) => segment === "args" || segment === "editedArgs");
      const tooLong = label.includes("characters");
      const refusable = typeof leaf.value === "string" && !label.includes("digit") && !(freeForm && tooLong);
      probes.push({
        label: `${where} = ${label}`,
        input: replaceAt(validInput, leaf.path, value),
        mustRefuse: refusable,
        field: freeForm ? String(leaf.path[0]) : where,
      });
    }
    for (const [label, value] of HOSTILE_VALUES) {
      const input = replaceAt(validInput, leaf.path, value);
      probes.push({ label: `${where} = ${label}`, input, mustRefuse: false, field: where });
    }
  }
  return probes;
}

function addKey(value: unknown): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? { ...value, "unexpected\u0000": "\ud800" }
    : value;
}

interface Answer {
  status: number;
  code: string | undefined;
  message: string | undefined;
}

function errorOf(body: unknown): Answer["code" | "message"][] {
  const error = (body as { error?: { json?: { message?: string; data?: { code?: string } } } })?.error?.json;
  return [error?.data?.code, error?.message];
}

async function call(path: string, type: string, input: unknown, userId: string): Promise<Answer> {
  const encoded = encodeURIComponent(serialize(input));
  const headers = { "x-test-user": userId, "content-type": "application/json" };
  if (type === "mutation") {
    const response = await fetch(`${baseUrl}/api/trpc/${path}`, {
      method: "POST",
      headers,
      body: serialize(input),
    });
    const [code, message] = errorOf(await response.json());
    return { status: response.status, code, message };
  }
  if (type === "query") {
    const response = await fetch(`${baseUrl}/api/trpc/${path}?input=${encoded}`, { headers });
    const [code, message] = errorOf(await response.json());
    return { status: response.status, code, message };
  }
  return subscribe(path, encoded, headers);
}

/**
 * A subscription over SSE, read until it says something: an error before the stream (a
 * status), an error in the stream (a serialized-error frame), data, or its first ping —
 * which comes after the stream's first read of the database, so an error would be before it.
 */
async function subscribe(path: string, encoded: string, headers: Record<string, string>): Promise<Answer> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/trpc/${path}?input=${encoded}`, {
    headers: { ...headers, accept: "text/event-stream" },
    signal: abort.signal,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    const [code, message] = errorOf(await response.json());
    return { status: response.status, code, message };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return { status: response.status, code: "STREAM_ENDED", message: text };
      text += decoder.decode(value, { stream: true });
      const frames = text.split("\n\n").slice(0, -1);
      for (const frame of frames) {
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (event === "serialized-error") {
          const parsed = superjson.deserialize(JSON.parse(data ?? "{}")) as {
            data?: { code?: string; httpStatus?: number };
            message?: string;
          };
          // An error inside the stream: the HTTP status was 200 long ago; the error carries its own.
          return {
            status: parsed?.data?.httpStatus ?? 500,
            code: parsed?.data?.code ?? "UNKNOWN",
            message: parsed?.message,
          };
        }
        if (event === "ping" || (event === undefined && data !== undefined)) {
          return { status: response.status, code: undefined, message: undefined };
        }
      }
    }
  } finally {
    abort.abort();
  }
}

function isClientError(answer: Answer): boolean {
  return answer.status >= 400 && answer.status < 500 && answer.code !== "INTERNAL_SERVER_ERROR";
}

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string; checks?: { _zod: { def: CheckDefinition } }[] } };
}

interface CheckDefinition {
  check: string;
  maximum?: number;
  value?: number | Date;
  format?: string;
}

/** The bounds a schema's checks set: zod keeps them as a list of check definitions. */
function limitsOf(checks: { _zod: { def: CheckDefinition } }[]) {
  const definitions = checks.map((check) => check._zod.def);
  const value = (name: string) => definitions.find((definition) => definition.check === name)?.value;
  return {
    maxLength: definitions.find((definition) => definition.check === "max_length")?.maximum,
    upper: value("less_than"),
    lower: value("greater_than"),
    whole: definitions.some((definition) => definition.check === "number_format" && definition.format === "safeint"),
  };
}

/**
 * What is unbounded in an input schema: text without the storable check or a maximum
 * length, numbers without finite bounds (whole numbers within an Int column), dates
 * without bounds, free-form values without the JSON check, lists without a maximum.
 */
function unbounded(schema: unknown, where: string): string[] {
  const { def } = (schema as ZodInternals)._zod;
  const checks = def.checks ?? [];
  const limits = limitsOf(checks);
  const inner = (key: string, suffix = "") => unbounded(def[key], `${where}${suffix}`);
  switch (def.type) {
    case "string": {
      const problems = [];
      if (!checks.includes(storableTextCheck as never)) problems.push(`${where}: text without the storable check`);
      if (limits.maxLength === undefined) problems.push(`${where}: text without a maximum length`);
      return problems;
    }
    case "number": {
      const [minimum, maximum] = [Number(limits.lower), Number(limits.upper)];
      if (!Number.isFinite(minimum) || !Number.isFinite(maximum)) return [`${where}: a number without bounds`];
      if (limits.whole && (maximum > INT32_MAX || minimum < -INT32_MAX - 1)) {
        return [`${where}: a whole number beyond an Int column`];
      }
      return [];
    }
    case "date":
      return limits.lower instanceof Date && limits.upper instanceof Date ? [] : [`${where}: a date without bounds`];
    case "unknown":
    case "any":
      return checks.includes(storableJsonCheck as never) ? [] : [`${where}: a free-form value without the JSON check`];
    case "array":
      return [
        ...(limits.maxLength === undefined ? [`${where}: a list without a maximum`] : []),
        ...inner("element", "[]"),
      ];
    case "object":
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([key, value]) =>
        unbounded(value, `${where}.${key}`),
      );
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
      return inner("innerType");
    case "union":
      return (def.options as unknown[]).flatMap((option, index) => unbounded(option, `${where}|${index}`));
    case "intersection":
      return [...inner("left"), ...inner("right")];
    case "pipe":
      return [...inner("in"), ...inner("out")];
    case "boolean":
    case "enum":
    case "literal":
    case "null":
    case "undefined":
    case "transform":
      return [];
    default:
      return [`${where}: a ${def.type} this test does not know how to check`];
  }
}

describe("input schemas", () => {
  it("every input of every procedure is bounded to what PostgreSQL stores", () => {
    const problems = Object.entries(PROCEDURES).flatMap(([path, procedure]) =>
      procedure._def.inputs.flatMap((input) => unbounded(input, path)),
    );
    expect(problems).toEqual([]);
  });
});

describe("hostile input to every procedure", () => {
  it("has a valid input for every procedure that takes one", () => {
    const inputs = validInputs(fixtures);
    const procedures = Object.entries(PROCEDURES);
    const taking = procedures.filter(([, procedure]) => procedure._def.inputs.length > 0).map(([path]) => path);
    expect(taking.filter((path) => !(path in inputs))).toEqual([]);
    expect(Object.keys(inputs).filter((path) => !taking.includes(path))).toEqual([]);
    expect(procedures.length).toBeGreaterThanOrEqual(48);
    // A valid input that the schema refused would hide every probe behind its own refusal.
    for (const [path, procedure] of procedures) {
      for (const input of inputs[path] ?? []) {
        for (const schema of procedure._def.inputs) expect(schema.safeParse(input).error, path).toBeUndefined();
      }
    }
  });

  const paths = Object.keys(PROCEDURES);
  it.each(paths)("%s: every probe is a 4xx with a message or a success, never a 500", async (path) => {
    const type = PROCEDURES[path]?._def.type ?? "query";
    const bases = validInputs(fixtures)[path] ?? [undefined];
    const failures: string[] = [];
    const check = async (probe: Probe) => {
      const answer = await call(path, type, probe.input, adminId);
      const ok = answer.status === 200 && answer.code === undefined;
      if (!ok && !isClientError(answer)) failures.push(`${probe.label} → ${answer.status} ${answer.code}`);
      else if (!ok && !answer.message) failures.push(`${probe.label} → ${answer.status} without a message`);
      else if (probe.mustRefuse && ok) failures.push(`${probe.label} → accepted`);
      else if (probe.mustRefuse && !(answer.message?.includes(probe.field) || answer.message?.includes("NUL"))) {
        failures.push(`${probe.label} → refused without saying why: ${answer.message}`);
      }
    };
    for (const base of bases) {
      const probes = probesFor(base);
      // Queries change nothing: their probes go several at a time. Mutations stay in order,
      // so one probe's accepted change cannot turn another's answer into a race.
      const batch = type === "query" ? 8 : 1;
      for (let start = 0; start < probes.length; start += batch) {
        await Promise.all(probes.slice(start, start + batch).map(check));
      }
    }
    expect(failures.sort()).toEqual([]);
  });
});

describe("streams", () => {
  it("chat.events refuses an event id past an Int before the stream starts, and streams from the last one", async () => {
    const past = await call(
      "chat.events",
      "subscription",
      { runId: fixtures.runId, lastEventId: "2147483648" },
      adminId,
    );
    expect(past).toMatchObject({ status: 400, code: "BAD_REQUEST" });
    expect(past.message).toContain("past the last event");
    const last = await call(
      "chat.events",
      "subscription",
      { runId: fixtures.runId, lastEventId: "2147483647" },
      adminId,
    );
    expect(last).toEqual({ status: 200, code: undefined, message: undefined });
  });
});
