/** Requests nobody decided in time: a late reviewer is refused, the sweeper expires them, and the run goes on. */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { expireOverdueApprovals } from "./expire-approvals";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("expiring approval requests", () => {
  it("approving after expiry is refused; expiry refuses the call and the run goes on", async () => {
    const { runId, requestId } = await requestDeletion("late.txt");
    await world.database.query(`UPDATE "ApprovalRequest" SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [
      requestId,
    ]);
    const reviewer = await createTestUser("REVIEWER");
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:expired");
    await waitForRunStatus(runId, ["COMPLETED"]);
    const [request] = await world.database.query<{ status: string }>(
      `SELECT status FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(request?.status).toBe("EXPIRED");
    expect(deleted).not.toContain("late.txt");
    expect(await world.refusalsAudited(requestId)).toContain("approval:expired");
  });
  it("the sweeper expires overdue requests on its own", async () => {
    const { runId, requestId } = await requestDeletion("swept.txt");
    await world.database.query(`UPDATE "ApprovalRequest" SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [
      requestId,
    ]);
    expect(await expireOverdueApprovals()).toBeGreaterThanOrEqual(1);
    await waitForRunStatus(runId, ["COMPLETED"]);
    const [call] = await world.database.query<{ status: string; error: string }>(
      `SELECT status, error FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call?.status).toBe("REFUSED");
    expect(call?.error).toMatch(/expired/);
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.requested", "approval.expired", "approval.decision-refused"]),
    );
  });
});
