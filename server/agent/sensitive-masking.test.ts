/**
 * Invariant 4 end to end: a real read_file of `.env` and a real sql_query of a table
 * marked sensitive, both approved, through the engine and the real OpenAI-compatible
 * provider path (a fake model that quotes what it read, JSON-escaped, URL-encoded and
 * base64, and then puts it into a write). Afterwards every place others may see is
 * searched for each value in each encoding: run events, approvals.get for every request
 * of the conversation, the log lines at debug level, the webhook payloads and the audit
 * rows. The requester's own transcript holds the values — the control that proves the
 * search would find them.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { decideApproval } from "../approvals/decide-approval";
import { inboxDetail, listInbox } from "../approvals/inbox";
import { resetEnvForTests } from "../env";
import { resolveModel } from "../models/registry";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { type FakeOpenAIServer, startFakeOpenAIServer } from "../testing/fake-openai-server";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { defineTool } from "../tools/define-tool";
import { forgetLedgers } from "../tools/sql/sql-execution";
import { createSqlQueryTool } from "../tools/sql/sql-query";
import { createWorkspaceTools } from "../tools/workspace/workspace-tools";

const MODEL_ID = "compatible:fake-model";

// Hostile values: quotes, backslashes, URL metacharacters, non-ASCII, line breaks.
const ENV_TOKEN = 'tok_"quoted"\\back\\slash';
const ENV_PASSWORD = "p@ss w0rd/with?url&chars=+%é";
const KEY_LINES = ["line-one-of-the-key-material", "line-two-of-the-key-material"];
const ENV_FILE = `# service settings\nAPI_TOKEN=${ENV_TOKEN}\nDB_PASSWORD=${ENV_PASSWORD}\nSIGNING_KEY="-----BEGIN KEY-----\n${KEY_LINES.join("\n")}\n-----END KEY-----"\n`;
const VAULT_HOLDER = 'Ada "the" Lovelace\\';
const VAULT_TOKEN = 'vault_tok\n"second"\\line-of-it';
const VALUES = [ENV_TOKEN, ENV_PASSWORD, ...KEY_LINES, VAULT_HOLDER, VAULT_TOKEN];

const json = (text: string) => JSON.stringify(text).slice(1, -1);
const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** How a value may be written: raw, JSON-escaped once and twice, URL-encoded, base64. */
function encodings(value: string): string[] {
  return [value, json(value), json(json(value)), encodeURIComponent(value), base64(value)];
}

/** What a leak looks like in a haystack that is itself JSON (rows, payloads) or plain text (logs). */
function needles(value: string): string[] {
  return [...new Set(encodings(value).flatMap((form) => [form, json(form)]))];
}

function leaksIn(haystack: string): string[] {
  return VALUES.flatMap((value) => needles(value).filter((needle) => haystack.includes(needle)));
}

let database: TestDatabase;
let fake: FakeOpenAIServer;
let worker: TestWorker;
let workspaceRoot: string;
let deps: ReturnType<typeof testEngineDependencies>;
let webhook: http.Server;
const webhookBodies: string[] = [];
const logLines: string[] = [];
let restoreWrites: () => void = () => {};

// A careless tool: it logs its input at debug level.
const takeNote = defineTool({
  name: "take_note",
  description: "Keeps a note",
  input: z.object({ text: z.string() }),
  output: z.object({ saved: z.string() }),
  risk: "READ",
  async execute(input, context) {
    context.logger.debug("note taken", { text: input.text });
    return { saved: input.text };
  },
});

// A destructive tool with no preview: its notice quotes its arguments.
const posted: string[] = [];
const postNote = defineTool({
  name: "post_note",
  description: "Posts a note where others read it",
  input: z.object({ text: z.string() }),
  output: z.object({ posted: z.string() }),
  risk: "DESTRUCTIVE",
  async execute(input) {
    posted.push(input.text);
    return { posted: input.text };
  },
});

beforeAll(async () => {
  database = await createTestDatabase();
  await database.query(`CREATE TABLE vault (id int PRIMARY KEY, holder text NOT NULL, token text NOT NULL)`);
  await database.query(`INSERT INTO vault VALUES (1, $1, $2)`, [VAULT_HOLDER, VAULT_TOKEN]);
  workspaceRoot = await mkdtemp(path.join(tmpdir(), "airlock-masking-"));
  await writeFile(path.join(workspaceRoot, ".env"), ENV_FILE);
  fake = await startFakeOpenAIServer();
  webhook = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      webhookBodies.push(body);
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  process.env.OPENAI_COMPATIBLE_BASE_URL = fake.baseUrl;
  process.env.OPENAI_COMPATIBLE_API_KEY = "test-key";
  process.env.OPENAI_COMPATIBLE_MODELS = "fake-model";
  process.env.APPROVAL_WEBHOOK_URL = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  process.env.LOG_LEVEL = "debug";
  resetEnvForTests();
  // Every log line of the process while the run goes on, as it would reach a log store.
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const capture =
    (original: typeof stdout) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      logLines.push(String(chunk));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = capture(stdout) as typeof process.stdout.write;
  process.stderr.write = capture(stderr) as typeof process.stderr.write;
  restoreWrites = () => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  };
  deps = testEngineDependencies({
    model: (modelId) => resolveModel(modelId),
    tools: [
      ...createWorkspaceTools({ root: workspaceRoot }),
      createSqlQueryTool({
        url: database.url,
        sensitiveTables: () => ["vault"],
        maxRows: 50,
        statementTimeoutMs: 5_000,
      }),
      takeNote,
      postNote,
    ],
  });
  worker = await startTestWorker(deps);
});

afterAll(async () => {
  restoreWrites();
  await worker?.stop();
  forgetLedgers();
  await fake?.stop();
  await new Promise((resolve) => webhook?.close(resolve));
  delete process.env.APPROVAL_WEBHOOK_URL;
  delete process.env.LOG_LEVEL;
  resetEnvForTests();
  await database?.drop();
  await rm(workspaceRoot, { recursive: true, force: true });
});

async function pendingRequest(runId: string, toolName: string): Promise<string> {
  await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
  const [row] = await database.query<{ id: string }>(
    `SELECT id FROM "ApprovalRequest" WHERE "runId" = $1 AND status = 'PENDING' AND "toolName" = $2`,
    [runId, toolName],
  );
  if (!row) throw new Error(`no pending ${toolName} request`);
  return row.id;
}

/** A model that quotes a value the ways models do: in a JSON block, in a link, as base64. */
function quoting(values: string[]): string[] {
  return values.flatMap((value) => [
    `Found: ${JSON.stringify({ value })}\n`,
    `link: https://example.test/?v=${encodeURIComponent(value)}\n`,
    `b64: ${base64(value)}\n`,
    `raw: ${value}\n`,
  ]);
}

describe("sensitive values read from a file and a table", () => {
  it("reach the requester and the model, and none of events, inbox, logs, webhooks or audit, in any encoding", async () => {
    const user = await createTestUser("USER");
    const reviewer = await createTestUser("REVIEWER");
    const conversation = await createTestConversation(user.id, MODEL_ID);
    fake.enqueue(
      { type: "stream", toolCalls: [{ name: "read_file", arguments: JSON.stringify({ path: ".env" }) }] },
      {
        type: "stream",
        text: quoting([ENV_TOKEN, ENV_PASSWORD, KEY_LINES.join("\n")]),
        toolCalls: [{ name: "sql_query", arguments: JSON.stringify({ sql: "SELECT holder, token FROM vault" }) }],
      },
      {
        type: "stream",
        text: quoting([VAULT_HOLDER, VAULT_TOKEN]),
        toolCalls: [
          { name: "take_note", arguments: JSON.stringify({ text: `${ENV_TOKEN} ${VAULT_TOKEN}` }) },
          { name: "post_note", arguments: JSON.stringify({ text: `${KEY_LINES[0]} ${VAULT_HOLDER}` }) },
          {
            name: "write_file",
            arguments: JSON.stringify({ path: "leak.txt", content: `${ENV_PASSWORD}\n${VAULT_HOLDER}` }),
          },
        ],
      },
      { type: "stream", text: ["Understood, I will not write it."] },
    );
    const runId = await sendTestMessage(user.id, conversation.id, "Check the service settings and the vault.");
    const requests: string[] = [];
    for (const tool of ["read_file", "sql_query"]) {
      const requestId = await pendingRequest(runId, tool);
      requests.push(requestId);
      await decideApproval({ requestId, reviewerId: reviewer.id, decision: { verdict: "approve" }, tools: deps.tools });
    }
    const writeRequest = await pendingRequest(runId, "write_file");
    const postRequest = await pendingRequest(runId, "post_note");
    requests.push(writeRequest, postRequest);
    const inbox = await Promise.all(requests.map((requestId) => inboxDetail(requestId, deps.tools)));
    const inboxList = await listInbox({ statuses: ["PENDING"], limit: 50 }, deps.tools);
    expect(inboxList.map((row) => row.toolName).sort()).toEqual(["post_note", "write_file"]);
    // The reviewer posts something harmless instead: the audit records the original arguments too.
    await decideApproval({
      requestId: postRequest,
      reviewerId: reviewer.id,
      decision: { verdict: "approve", editedArgs: { text: "a harmless note" } },
      tools: deps.tools,
    });
    await decideApproval({
      requestId: writeRequest,
      reviewerId: reviewer.id,
      decision: { verdict: "reject", reason: "that is a secret" },
      tools: deps.tools,
    });
    expect(await waitForRunStatus(runId, ["COMPLETED"])).toBe("COMPLETED");
    for (let attempt = 0; attempt < 100 && webhookBodies.length < 4; attempt++)
      await new Promise((resolve) => setTimeout(resolve, 50));

    // The control: the values really flowed — to the model, to the requester, into the note's log line.
    // (the tool result is a JSON string inside the JSON request body: escaped twice)
    expect(JSON.stringify(fake.requests[1]?.messages)).toContain(json(json(ENV_TOKEN)));
    expect(JSON.stringify(fake.requests[2]?.messages)).toContain(json(json(VAULT_TOKEN)));
    const transcript = JSON.stringify(
      await database.query(`SELECT parts FROM "Message" WHERE "conversationId" = $1`, [conversation.id]),
    );
    for (const value of VALUES) expect(leaksIn(transcript).length, value).toBeGreaterThan(0);
    expect(logLines.some((line) => line.includes('"note taken"'))).toBe(true);
    expect(webhookBodies).toHaveLength(4);
    expect(posted).toEqual(["a harmless note"]);
    expect(inbox.map((detail) => detail.request.toolName)).toEqual([
      "read_file",
      "sql_query",
      "write_file",
      "post_note",
    ]);

    const events = JSON.stringify(await database.query(`SELECT data FROM "RunEvent" WHERE "runId" = $1`, [runId]));
    const audit = JSON.stringify(await database.query(`SELECT action, data FROM "AuditEvent"`));
    expect(audit).toContain("tool-call.executed");
    expect(audit).toContain("approval.arguments-edited");
    expect({
      events: leaksIn(events),
      inbox: leaksIn(JSON.stringify([inbox, inboxList])),
      logs: leaksIn(logLines.join("")),
      webhooks: leaksIn(webhookBodies.join("\n")),
      audit: leaksIn(audit),
    }).toEqual({ events: [], inbox: [], logs: [], webhooks: [], audit: [] });
  });
});
