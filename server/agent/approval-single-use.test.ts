/**
 * An approval is consumed once, whoever races for it: concurrent consumers of one
 * approval, two workers resuming the same run, and a worker that lost its lease while it
 * held an approved destructive call. Side effects are counted outside the database, in
 * this process's ledger, so "exactly once" means the effect, not a status column.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { consumeApproval } from "../approvals/consume-approval";
import { loadPolicy } from "../approvals/current-policy";
import { decideApproval } from "../approvals/decide-approval";
import { LeaseLostError, readToolCalls } from "../db/steps";
import { inTransaction } from "../db/transaction";
import { createDemoModel } from "../models/demo-model";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { defineTool } from "../tools/define-tool";
import { settleToolCalls } from "./tool-calls";

let database: TestDatabase;
/** Every effect the tool applied, by path: the ledger outside the database. */
const ledger: string[] = [];
/** When set, the tool announces it started and waits for the test to let it finish. */
let gate: { started: () => void; release: Promise<void> } | null = null;

const deleteFile = defineTool({
  name: "delete_file",
  description: "Delete a file in the workspace",
  input: z.object({ path: z.string().min(1) }),
  output: z.object({ deleted: z.string() }),
  risk: "DESTRUCTIVE",
  async execute(input) {
    if (gate) {
      gate.started();
      await gate.release;
    }
    ledger.push(input.path);
    return { deleted: input.path };
  },
});

const deps = testEngineDependencies({ model: createDemoModel({ tokenDelayMs: 0 }), tools: [deleteFile] });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const effects = (path: string) => ledger.filter((entry) => entry === path).length;

/** A deletion requested and approved while no worker runs: the run is queued with its call APPROVED. */
async function approvedDeletion(path: string) {
  const user = await createTestUser("USER");
  const conversation = await createTestConversation(user.id);
  const solo = await startTestWorker(deps);
  let requestId: string;
  let runId: string;
  try {
    runId = await sendTestMessage(user.id, conversation.id, `delete ${path}`);
    await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
    const [request] = await database.query<{ id: string }>(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [
      runId,
    ]);
    if (!request) throw new Error("no request");
    requestId = request.id;
  } finally {
    await solo.stop();
  }
  await decideApproval({
    requestId,
    reviewerId: (await createTestUser("REVIEWER")).id,
    decision: { verdict: "approve" },
    tools: deps.tools,
  });
  const [call] = await database.query<{ id: string; stepId: string; stepIndex: number }>(
    `SELECT t.id, t."stepId", s.index AS "stepIndex" FROM "ToolCall" t JOIN "Step" s ON s.id = t."stepId" WHERE t."runId" = $1`,
    [runId],
  );
  if (!call) throw new Error("no call");
  return { user, conversationId: conversation.id, runId, requestId, call };
}

function holdLease(runId: string, workerId: string) {
  return database.query(
    `UPDATE "Run" SET status = 'RUNNING', "leaseOwner" = $2, "leaseExpiresAt" = now() + interval '5 minutes' WHERE id = $1`,
    [runId, workerId],
  );
}

/** Another worker took the run over; then its lease ran out too, so the next worker may claim it. */
async function leaseTakenOverThenExpired(runId: string) {
  await database.query(`UPDATE "Run" SET "leaseOwner" = 'other-worker' WHERE id = $1`, [runId]);
}
function expireLease(runId: string) {
  return database.query(`UPDATE "Run" SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = $1`, [runId]);
}

/** What a worker holding the lease does with the step: it reads the calls now and settles them when called. */
async function settleAs(workerId: string, approved: Awaited<ReturnType<typeof approvedDeletion>>) {
  const calls = await readToolCalls(approved.call.stepId);
  return () =>
    settleToolCalls(calls, {
      runId: approved.runId,
      workerId,
      conversationId: approved.conversationId,
      stepId: approved.call.stepId,
      stepIndex: approved.call.stepIndex,
      actor: { id: approved.user.id, role: "USER" },
      signal: new AbortController().signal,
      deps,
      released: new Set(),
    });
}

async function rowStatus(table: "ToolCall" | "ApprovalRequest", id: string): Promise<string | undefined> {
  const [row] = await database.query<{ status: string }>(`SELECT status FROM "${table}" WHERE id = $1`, [id]);
  return row?.status;
}

describe("an approval is consumed once", () => {
  it("twenty concurrent consumers of one approval: exactly one gets it, in the database", async () => {
    const approved = await approvedDeletion("consumed.txt");
    const policy = await loadPolicy();
    const tool = deps.tools.get("delete_file");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        inTransaction((tx) =>
          consumeApproval(tx, {
            toolCallId: approved.call.id,
            toolName: "delete_file",
            toolVersion: tool?.version,
            args: { path: "consumed.txt" },
            policyVersion: policy.version,
            workerId: `consumer-${index}`,
          }),
        ),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    // Losers either waited on the row and found it consumed, or read it consumed already.
    for (const result of results.filter((each) => !each.ok)) {
      expect(["the approval was already used", "there is no unused approval for this call"]).toContain(
        !result.ok && result.reason,
      );
    }
    const audits = await database.query(
      `SELECT 1 FROM "AuditEvent" WHERE action = 'approval.consumed' AND "targetId" = $1`,
      [approved.requestId],
    );
    expect(audits).toHaveLength(1);
  });

  it("two workers racing to resume the same approved run execute the call once", async () => {
    const approved = await approvedDeletion("raced.txt");
    const workers = await Promise.all([startTestWorker(deps), startTestWorker(deps)]);
    try {
      await waitForRunStatus(approved.runId, ["COMPLETED"]);
    } finally {
      await Promise.all(workers.map((each) => each.stop()));
    }
    expect(effects("raced.txt")).toBe(1);
    expect(await rowStatus("ToolCall", approved.call.id)).toBe("SUCCEEDED");
    expect(await rowStatus("ApprovalRequest", approved.requestId)).toBe("CONSUMED");
  });

  it("a worker that lost its lease while holding an approved call does not run it; the new owner runs it once", async () => {
    const approved = await approvedDeletion("held.txt");
    await holdLease(approved.runId, "worker-a");
    const settle = await settleAs("worker-a", approved);
    await leaseTakenOverThenExpired(approved.runId);
    await expect(settle()).rejects.toBeInstanceOf(LeaseLostError);
    expect(effects("held.txt")).toBe(0);
    expect(await rowStatus("ApprovalRequest", approved.requestId)).toBe("APPROVED");
    expect(await rowStatus("ToolCall", approved.call.id)).toBe("APPROVED");

    await expireLease(approved.runId);
    const next = await startTestWorker(deps);
    try {
      await waitForRunStatus(approved.runId, ["COMPLETED"]);
    } finally {
      await next.stop();
    }
    expect(effects("held.txt")).toBe(1);
    expect(await rowStatus("ToolCall", approved.call.id)).toBe("SUCCEEDED");
  });

  it("a worker that loses its lease while the approved call runs writes no outcome, and the new owner does not run it again", async () => {
    const approved = await approvedDeletion("running.txt");
    await holdLease(approved.runId, "worker-a");
    let release = () => {};
    const started = new Promise<void>((resolve) => {
      gate = { started: resolve, release: new Promise<void>((done) => (release = done)) };
    });
    const settling = (await settleAs("worker-a", approved))();
    settling.catch(() => {});
    try {
      await started;
      expect(await rowStatus("ApprovalRequest", approved.requestId)).toBe("CONSUMED");
      expect(await rowStatus("ToolCall", approved.call.id)).toBe("RUNNING");
      await leaseTakenOverThenExpired(approved.runId);
    } finally {
      gate = null;
      release();
    }
    await expect(settling).rejects.toBeInstanceOf(LeaseLostError);
    expect(effects("running.txt")).toBe(1);
    // Its outcome was not written: the call is still RUNNING, as after a crash.
    expect(await rowStatus("ToolCall", approved.call.id)).toBe("RUNNING");

    await expireLease(approved.runId);
    const next = await startTestWorker(deps);
    try {
      await waitForRunStatus(approved.runId, ["COMPLETED"]);
    } finally {
      await next.stop();
    }
    expect(effects("running.txt")).toBe(1);
    expect(await rowStatus("ToolCall", approved.call.id)).toBe("UNKNOWN_OUTCOME");
  });
});
