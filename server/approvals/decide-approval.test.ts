/**
 * A reviewer's decision through the real engine, worker and database: exactly once under
 * fifty concurrent attempts, separation of duties, replays and forged ids refused — and
 * every refusal audited.
 */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { decideApproval } from "./decide-approval";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("deciding an approval request", () => {
  it("50 concurrent approvals by the same and different reviewers execute the call exactly once", async () => {
    const { runId, requestId } = await requestDeletion("concurrent.txt");
    const reviewers = await Promise.all(
      Array.from({ length: 10 }, (_, index) => createTestUser(index % 2 ? "REVIEWER" : "ADMIN")),
    );
    const attempts = Array.from({ length: 50 }, (_, index) =>
      errorCodeOf(approve(requestId, (reviewers[index % reviewers.length] as { id: string }).id)),
    );
    const codes = await Promise.all(attempts);
    expect(codes.filter((code) => code === "OK")).toHaveLength(1);
    expect(codes.every((code) => ["OK", "approval:already-decided", "approval:already-voted"].includes(code))).toBe(
      true,
    );
    await waitForRunStatus(runId, ["COMPLETED"]);
    expect(deleted.filter((path) => path === "concurrent.txt")).toHaveLength(1);
    const [request] = await world.database.query<{ status: string }>(
      `SELECT status FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(request?.status).toBe("CONSUMED");
  });
  it("nobody approves their own run's request, whatever their role; a USER never decides", async () => {
    const admin = await createTestUser("ADMIN");
    const { requestId } = await requestDeletion("own.txt", admin);
    expect(await errorCodeOf(approve(requestId, admin.id))).toBe("approval:own-request");
    const user = await createTestUser("USER");
    expect(await errorCodeOf(approve(requestId, user.id))).toBe("approval:not-reviewer");
    const deactivated = await createTestUser("REVIEWER");
    await world.database.query(`UPDATE "User" SET active = false WHERE id = $1`, [deactivated.id]);
    expect(await errorCodeOf(approve(requestId, deactivated.id))).toBe("approval:not-reviewer");
    expect(await world.refusalsAudited(requestId)).toEqual([
      "approval:own-request",
      "approval:not-reviewer",
      "approval:not-reviewer",
    ]);
    expect(deleted).not.toContain("own.txt");
  });
  it("replays, forged ids and approving a rejected request are refused, and audited", async () => {
    const { runId, requestId } = await requestDeletion("replay.txt");
    const reviewer = await createTestUser("REVIEWER");
    const other = await createTestUser("REVIEWER");
    await decideApproval({
      requestId,
      reviewerId: reviewer.id,
      decision: { verdict: "reject", reason: "Keep that file" },
      tools: world.deps.tools,
    });
    expect(await errorCodeOf(approve(requestId, other.id))).toBe("approval:already-decided");
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:already-decided");
    expect(await errorCodeOf(approve("forged-request-id", reviewer.id))).toBe("approval:not-found");
    expect(await world.refusalsAudited(requestId)).toEqual(["approval:already-decided", "approval:already-decided"]);
    expect(await world.refusalsAudited("forged-request-id")).toEqual(["approval:not-found"]);
    await waitForRunStatus(runId, ["COMPLETED"]);
    expect(deleted).not.toContain("replay.txt");
    // The model was told why, and said so.
    const [call] = await world.database.query<{ status: string; error: string }>(
      `SELECT status, error FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call).toEqual({
      status: "REFUSED",
      error: "Not executed: rejected by a reviewer because Keep that file; do not retry it.",
    });
    const texts = await world.database.query<{ parts: { text?: string }[] }>(
      `SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT' ORDER BY id`,
      [runId],
    );
    expect(JSON.stringify(texts.at(-1)?.parts)).toContain("Keep that file");
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining([
        "approval.requested",
        "approval.approved",
        "approval.rejected",
        "approval.consumed",
        "approval.decision-refused",
        "tool-call.approval-required",
        "tool-call.started",
        "tool-call.executed",
      ]),
    );
  });
});
