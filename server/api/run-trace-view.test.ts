import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "../approvals/decide-approval";
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
import { createDeleteFileTool } from "../testing/test-tools";
import { createToolRegistry } from "../tools/registry";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

let database: TestDatabase;

const deleteFile = createDeleteFileTool({ onDelete: () => {} });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const as = (userId: string) => createCaller(createInnerContext({ userId }));

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe("the run trace view", () => {
  it("shows a waterfall of a run that waited for an approval, to whom may see the run", async () => {
    const owner = await createTestUser("USER");
    const stranger = await createTestUser("USER");
    const reviewer = await createTestUser("REVIEWER");
    const admin = await createTestUser("ADMIN");
    const conversation = await createTestConversation(owner.id);
    const deps = testEngineDependencies({ model: createDemoModel({ tokenDelayMs: 0 }), tools: [deleteFile] });
    const worker = await startTestWorker(deps);
    try {
      const runId = await sendTestMessage(owner.id, conversation.id, "delete notes.txt");
      await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);

      const waiting = await as(owner.id).observability.runTrace({ runId });
      const kinds = waiting.items.map((item) => `${item.kind}:${item.status}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          "run:AWAITING_APPROVAL",
          "model:tool-calls",
          "policy:REQUIRE_APPROVAL",
          "approval:PENDING",
        ]),
      );
      const approval = waiting.items.find((item) => item.kind === "approval");
      expect(approval?.open).toBe(true);
      expect(waiting.items.some((item) => item.kind === "tool")).toBe(false);

      // Same authorization as the run: a stranger gets what a missing run gets.
      const missing = await refusal(
        as(stranger.id).observability.runTrace({ runId: "00000000-0000-4000-8000-000000000000" }),
      );
      expect(missing).toMatch(/^NOT_FOUND/);
      expect(await refusal(as(stranger.id).observability.runTrace({ runId }))).toBe(missing);
      expect(await refusal(as(reviewer.id).observability.runTrace({ runId }))).toBe("OK");
      expect(await refusal(as(admin.id).observability.runTrace({ runId }))).toBe("OK");

      const [request] = await database.query<{ id: string }>(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [
        runId,
      ]);
      await decideApproval({
        requestId: request?.id as string,
        reviewerId: reviewer.id,
        decision: { verdict: "approve" },
        tools: createToolRegistry([deleteFile]),
      });
      expect(await waitForRunStatus(runId, ["COMPLETED", "FAILED"])).toBe("COMPLETED");

      const done = await as(owner.id).observability.runTrace({ runId });
      const decided = done.items.find((item) => item.kind === "approval");
      expect(decided).toMatchObject({ status: "CONSUMED", open: false });
      expect(decided?.details).toContain(`APPROVE by ${reviewer.name}`);
      const tool = done.items.find((item) => item.kind === "tool");
      expect(tool).toMatchObject({ label: "tool delete_file", status: "SUCCEEDED", open: false });
      expect(tool?.startMs).toBeGreaterThanOrEqual(decided?.endMs ?? Number.POSITIVE_INFINITY);
      expect(done.items.filter((item) => item.kind === "step").length).toBe(2);
      expect(
        done.items.filter((item) => item.kind === "model").every((item) => item.details[0]?.endsWith("tokens in")),
      ).toBe(true);
      expect(done.totalMs).toBeGreaterThanOrEqual(Math.max(...done.items.map((item) => item.endMs)));
    } finally {
      await worker.stop();
    }
  });

  it("a reviewer sees only runs that asked for an approval; live figures are for admins", async () => {
    const owner = await createTestUser("USER");
    const reviewer = await createTestUser("REVIEWER");
    const admin = await createTestUser("ADMIN");
    const conversation = await createTestConversation(owner.id);
    const runId = await sendTestMessage(owner.id, conversation.id, "hello");
    expect(await refusal(as(reviewer.id).observability.runTrace({ runId }))).toMatch(/^NOT_FOUND/);
    expect(await refusal(as(admin.id).observability.runTrace({ runId }))).toBe("OK");

    expect(await refusal(as(reviewer.id).observability.liveFigures())).toMatch(/^FORBIDDEN/);
    const figures = await as(admin.id).observability.liveFigures();
    const [counted] = await database.query<{ count: string }>(
      `SELECT count(*) FROM "Run" WHERE status IN ('QUEUED', 'RUNNING')`,
    );
    expect(figures.runsInFlight).toBe(Number(counted?.count));
    expect(figures.runsInFlight).toBeGreaterThan(0);
  });
});
