/**
 * An approval is used only for exactly what it was given for: right before execution the
 * binding is recomputed from what would run, and a policy change, changed arguments, a
 * redefined or removed tool void the approval instead of running; a repeatable call
 * retried after a crash never runs arguments that were changed meanwhile.
 */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { bumpPolicyVersion } from "../db/policy";
import { inTransaction } from "../db/transaction";
import {
  createTestConversation,
  createTestUser,
  instantDemoModel,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { createReadFileTool } from "../testing/test-tools";
import { defineTool } from "../tools/define-tool";

const readFile = createReadFileTool({ contents: "notes" });
const { world, deleted, deleteFile } = useDeletionWorld({ otherTools: [readFile] });
const { approve } = world;

/** Requests a deletion with no worker running (but a solo one to park it), approves it, lets `tamper` act, then resumes on `resumeWith`. */
function approveThenTamper(
  path: string,
  tamper: (runId: string, requestId: string) => Promise<void>,
  resumeWith: ReturnType<typeof testEngineDependencies>,
  until: Parameters<typeof waitForRunStatus>[1],
) {
  return world.withoutWorker(async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const solo = await startTestWorker(world.deps);
    const runId = await sendTestMessage(user.id, conversation.id, `delete ${path}`);
    const requestId = await world.pendingRequestOf(runId);
    await solo.stop();
    await approve(requestId, (await createTestUser("REVIEWER")).id);
    await tamper(runId, requestId);
    const resumed = await startTestWorker(resumeWith);
    try {
      await waitForRunStatus(runId, until);
    } finally {
      await resumed.stop();
    }
    return { runId, requestId };
  });
}

async function voidedBecause(requestId: string): Promise<string[]> {
  const rows = await world.database.query<{ why: string }>(
    `SELECT data->>'why' AS why FROM "AuditEvent" WHERE action = 'approval.voided' AND "targetId" = $1`,
    [requestId],
  );
  return rows.map((row) => row.why);
}

describe("consuming an approval", () => {
  it("a policy change after approval but before execution voids the approval: nothing runs on a stale approval", async () => {
    const { runId } = await approveThenTamper(
      "stale.txt",
      async () => {
        await inTransaction((tx) => bumpPolicyVersion(tx, null));
      },
      world.deps,
      ["AWAITING_APPROVAL"],
    );
    const statuses = await world.database.query<{ status: string }>(
      `SELECT status FROM "ApprovalRequest" WHERE "runId" = $1 ORDER BY "createdAt"`,
      [runId],
    );
    expect(statuses.map((row) => row.status)).toEqual(["VOIDED", "PENDING"]);
    expect(deleted).not.toContain("stale.txt");
  });

  it("the stored call's arguments changed after approval: the approval is void and nothing runs", async () => {
    const { runId, requestId } = await approveThenTamper(
      "bound.txt",
      async (tampered) => {
        await world.database.query(`UPDATE "ToolCall" SET args = '{"path":"tampered.txt"}' WHERE "runId" = $1`, [
          tampered,
        ]);
      },
      world.deps,
      ["AWAITING_APPROVAL"],
    );
    expect(deleted).not.toContain("tampered.txt");
    expect(deleted).not.toContain("bound.txt");
    expect(await voidedBecause(requestId)).toEqual(["the arguments changed after approval"]);
    // The changed call is asked for anew, showing what it would now do.
    const requests = await world.database.query<{ status: string; args: unknown }>(
      `SELECT status, args FROM "ApprovalRequest" WHERE "runId" = $1 ORDER BY "createdAt"`,
      [runId],
    );
    expect(requests).toEqual([
      { status: "VOIDED", args: { path: "bound.txt" } },
      { status: "PENDING", args: { path: "tampered.txt" } },
    ]);
  });
  it("the tool's definition changed after approval: the approval is void and nothing runs", async () => {
    const changed = testEngineDependencies({
      model: instantDemoModel(),
      tools: [defineTool({ ...deleteFile, description: "Delete a file in the workspace, now differently" }), readFile],
    });
    const { requestId } = await approveThenTamper("redefined.txt", async () => {}, changed, ["AWAITING_APPROVAL"]);
    expect(deleted).not.toContain("redefined.txt");
    expect(await voidedBecause(requestId)).toEqual(["the tool's definition changed after approval"]);
  });
  it("the tool was removed after approval: the call is refused, the approval voided, and nothing runs", async () => {
    const without = testEngineDependencies({ model: instantDemoModel(), tools: [readFile] });
    const { runId, requestId } = await approveThenTamper("orphan.txt", async () => {}, without, ["COMPLETED"]);
    expect(deleted).not.toContain("orphan.txt");
    const [call] = await world.database.query<{ status: string }>(`SELECT status FROM "ToolCall" WHERE "runId" = $1`, [
      runId,
    ]);
    expect(call?.status).toBe("REFUSED");
    const [request] = await world.database.query<{ status: string }>(
      `SELECT status FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(request?.status).toBe("VOIDED");
    expect(await voidedBecause(requestId)).toHaveLength(1);
  });
  it("a repeatable approved call retried after a crash runs only what was approved", async () => {
    // The worker died after consuming the approval and starting the call; meanwhile the stored arguments changed.
    const idempotent = testEngineDependencies({
      model: instantDemoModel(),
      tools: [defineTool({ ...deleteFile, idempotent: true }), readFile],
    });
    const { runId } = await approveThenTamper(
      "retried.txt",
      async (tampered, requestId) => {
        await world.database.query(
          `UPDATE "ApprovalRequest" SET status = 'CONSUMED', "consumedAt" = now() WHERE id = $1`,
          [requestId],
        );
        await world.database.query(
          `UPDATE "ToolCall" SET status = 'RUNNING', attempts = 1, args = '{"path":"retried-tampered.txt"}' WHERE "runId" = $1`,
          [tampered],
        );
      },
      idempotent,
      ["COMPLETED"],
    );
    expect(deleted).not.toContain("retried-tampered.txt");
    const [call] = await world.database.query<{ status: string }>(`SELECT status FROM "ToolCall" WHERE "runId" = $1`, [
      runId,
    ]);
    expect(call?.status).toBe("UNKNOWN_OUTCOME");
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining([
        "approval.approved",
        "approval.voided",
        "approval.requested",
        "tool-call.approval-required",
      ]),
    );
  });
});
