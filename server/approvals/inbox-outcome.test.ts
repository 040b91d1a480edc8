/**
 * The inbox tells reviewers what became of what they approved: the tool call succeeded,
 * failed, or has an unknown outcome (it may have run), in the list and in the detail —
 * not only that the approval was consumed. Through the real engine, worker and database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDemoModel } from "../models/demo-model";
import { createTestDatabase, type TestDatabase } from "../testing/database";
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
import { decideApproval } from "./decide-approval";
import { inboxDetail, listInbox } from "./inbox";

let database: TestDatabase;
let worker: TestWorker;

/** ok.txt is deleted, broken.txt fails, stuck.txt starts and never answers (its timeout fires). */
const deleteFile = defineTool({
  name: "delete_file",
  description: "Delete a file in the workspace",
  input: z.object({ path: z.string().min(1) }),
  output: z.object({ deleted: z.string() }),
  risk: "DESTRUCTIVE",
  async execute(input, context) {
    if (input.path === "broken.txt") throw new Error("disk is read-only");
    if (input.path === "stuck.txt")
      await new Promise((_resolve, reject) =>
        context.signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    return { deleted: input.path };
  },
});

const deps = testEngineDependencies({
  model: createDemoModel({ tokenDelayMs: 0 }),
  tools: [deleteFile],
  // Only stuck.txt ever reaches it: it waits for the abort, so no call races the timeout.
  config: { toolTimeoutMs: 300 },
});

beforeAll(async () => {
  database = await createTestDatabase();
  worker = await startTestWorker(deps);
});

afterAll(async () => {
  await worker?.stop();
  await database?.drop();
});

/** Asks to delete `path`, approves it, and waits for the run to finish; returns the request's id. */
async function approvedAndRun(path: string): Promise<string> {
  const user = await createTestUser("USER");
  const conversation = await createTestConversation(user.id);
  const runId = await sendTestMessage(user.id, conversation.id, `delete ${path}`);
  await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
  const [request] = await database.query<{ id: string }>(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [
    runId,
  ]);
  if (!request) throw new Error("no request");
  await decideApproval({
    requestId: request.id,
    reviewerId: (await createTestUser("REVIEWER")).id,
    decision: { verdict: "approve" },
    tools: deps.tools,
  });
  await waitForRunStatus(runId, ["COMPLETED", "FAILED"]);
  return request.id;
}

describe("the outcome of an approved call in the inbox", () => {
  it("shows succeeded, failed (with its error) and unknown outcome, in the list and the detail", async () => {
    const succeeded = await approvedAndRun("ok.txt");
    const failed = await approvedAndRun("broken.txt");
    const unknown = await approvedAndRun("stuck.txt");

    const list = await listInbox({ statuses: ["CONSUMED"], limit: 50 }, deps.tools);
    const byId = new Map(list.map((item) => [item.id, item]));
    expect(byId.get(succeeded)).toMatchObject({ status: "CONSUMED", callStatus: "SUCCEEDED", callError: null });
    expect(byId.get(failed)).toMatchObject({ status: "CONSUMED", callStatus: "FAILED" });
    expect(byId.get(failed)?.callError).toContain("disk is read-only");
    expect(byId.get(unknown)).toMatchObject({ status: "CONSUMED", callStatus: "UNKNOWN_OUTCOME" });

    for (const [id, status] of [
      [succeeded, "SUCCEEDED"],
      [failed, "FAILED"],
      [unknown, "UNKNOWN_OUTCOME"],
    ] as const) {
      expect((await inboxDetail(id, deps.tools)).request.callStatus).toBe(status);
    }
  });

  it("a pending request's call is still awaiting approval", async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "delete waiting.txt");
    await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
    const list = await listInbox({ statuses: ["PENDING"], limit: 50 }, deps.tools);
    const item = list.find((entry) => JSON.stringify(entry.args).includes("waiting.txt"));
    expect(item).toMatchObject({ callStatus: "AWAITING_APPROVAL", callError: null });
  });
});
