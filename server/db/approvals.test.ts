/**
 * The approval rows' own guarantees, on the real database: a locked read returns exactly
 * what a plain read does and holds the run and the request until the transaction ends;
 * a vote is one row per reviewer and is counted for its binding only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { findApprovalRequest, insertApprovalVote, lockRequestAndRun } from "./approvals";
import { inTransaction } from "./transaction";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

let counter = 0;

/** A pending request on a waiting run, written as rows (no engine): what these functions see. */
async function pendingRequest(): Promise<{ requestId: string; runId: string }> {
  counter++;
  const user = await createTestUser("USER");
  const id = (kind: string) => `${kind}-${counter}-${Date.now()}`;
  const [conversation, run, step, call, request] = [id("conv"), id("run"), id("step"), id("call"), id("request")];
  await database.query(
    `INSERT INTO "Conversation" (id, "ownerId", title, "updatedAt") VALUES ($1, $2, 'probe', now())`,
    [conversation, user.id],
  );
  await database.query(
    `INSERT INTO "Run" (id, "conversationId", "userId", status, "modelId", "updatedAt")
     VALUES ($1, $2, $3, 'AWAITING_APPROVAL', 'demo', now())`,
    [run, conversation, user.id],
  );
  await database.query(
    `INSERT INTO "Step" (id, "runId", index, "modelId", "finishReason", "latencyMs") VALUES ($1, $2, 0, 'demo', 'tool-calls', 1)`,
    [step, run],
  );
  await database.query(
    `INSERT INTO "ToolCall" (id, "runId", "stepId", "modelCallId", position, "toolName", args, "argsHash", status, "idempotencyKey")
     VALUES ($1, $2, $3, 'model-call', 0, 'delete_file', '{"path":"a.txt"}', 'h', 'AWAITING_APPROVAL', $1)`,
    [call, run, step],
  );
  await database.query(
    `INSERT INTO "ApprovalRequest" (id, "toolCallId", "runId", "conversationId", "requesterId", "toolName", "toolVersion",
       "policyVersion", "riskClass", args, "editedArgs", "bindingHash", reasons, preview, "requiredApprovals", "expiresAt")
     VALUES ($1, $2, $3, $4, $5, 'delete_file', 'v1', 7, 'DESTRUCTIVE', '{"path":"a.txt","deep":{"list":[1,"two",null]}}',
       NULL, 'binding-a', '["a reason"]', '{"summary":"Delete a.txt","format":"text"}', 2, now() + interval '1 hour')`,
    [request, call, run, conversation, user.id],
  );
  return { requestId: request, runId: run };
}

/** Whether some backend is waiting for a row lock right now (pg_stat_activity, not a clock). */
async function someoneWaitsForALock(): Promise<boolean> {
  const rows = await database.query<{ waiting: number }>(
    `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return (rows[0]?.waiting ?? 0) > 0;
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the condition never held");
}

describe("lockRequestAndRun", () => {
  it("returns the request exactly as a plain read does: JSON, dates, enums and all", async () => {
    const { requestId } = await pendingRequest();
    const plain = await findApprovalRequest(requestId);
    const locked = await inTransaction((tx) => lockRequestAndRun(tx, requestId));
    expect(plain).not.toBeNull();
    expect(locked).toEqual(plain);
    expect(locked?.expiresAt).toBeInstanceOf(Date);
    expect(locked?.args).toEqual({ path: "a.txt", deep: { list: [1, "two", null] } });
  });

  it("answers null for an id that does not exist, and locks nothing for it", async () => {
    expect(await inTransaction((tx) => lockRequestAndRun(tx, "forged-request-id"))).toBeNull();
  });

  it("holds the run and the request until the transaction ends: a second locker waits for the first", async () => {
    const { requestId, runId } = await pendingRequest();
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const firstHolds = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const order: string[] = [];
    const first = inTransaction(async (tx) => {
      await lockRequestAndRun(tx, requestId);
      locked();
      await released;
      order.push("first done");
    });
    await firstHolds;
    const second = inTransaction(async (tx) => {
      await lockRequestAndRun(tx, requestId);
      order.push("second locked");
    });
    await waitUntil(someoneWaitsForALock);
    // The run row as the engine locks it waits as well.
    const engine = database.query(`SELECT id FROM "Run" WHERE id = $1 FOR UPDATE NOWAIT`, [runId]).then(
      () => "locked",
      (error: { code?: string }) => error.code,
    );
    expect(await engine).toBe("55P03");
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first done", "second locked"]);
  });
});

describe("insertApprovalVote", () => {
  it("counts the approvals for the vote's binding, one row per reviewer", async () => {
    const { requestId } = await pendingRequest();
    const [first, second, third] = await Promise.all([
      createTestUser("REVIEWER"),
      createTestUser("REVIEWER"),
      createTestUser("REVIEWER"),
    ]);
    const vote = (reviewerId: string, bindingHash: string) =>
      inTransaction((tx) =>
        insertApprovalVote(tx, { requestId, reviewerId, verdict: "APPROVE", bindingHash, editedArgs: undefined }),
      );
    expect(await vote(first.id, "binding-a")).toEqual({ inserted: true, approvals: 1 });
    expect(await vote(first.id, "binding-a")).toEqual({ inserted: false, approvals: 1 });
    // A vote for another binding (an edit) does not count towards this one, nor this one towards it.
    expect(await vote(second.id, "binding-b")).toEqual({ inserted: true, approvals: 1 });
    expect(await vote(third.id, "binding-a")).toEqual({ inserted: true, approvals: 2 });
    const rows = await database.query(`SELECT 1 FROM "ApprovalDecision" WHERE "requestId" = $1`, [requestId]);
    expect(rows).toHaveLength(3);
  });

  it("a rejection is a vote too, and does not count as an approval", async () => {
    const { requestId } = await pendingRequest();
    const reviewer = await createTestUser("REVIEWER");
    const reject = () =>
      inTransaction((tx) =>
        insertApprovalVote(tx, {
          requestId,
          reviewerId: reviewer.id,
          verdict: "REJECT",
          reason: "no",
          bindingHash: "binding-a",
        }),
      );
    expect(await reject()).toEqual({ inserted: true, approvals: 0 });
    expect(await reject()).toEqual({ inserted: false, approvals: 0 });
  });
});
