/** Distinct approvers: with two required, one reviewer's approval (however often sent) is not enough. */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { forgetCachedPolicy } from "./current-policy";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("counting approvals", () => {
  it("with two required approvals, it runs only after two distinct reviewers, exactly once", async () => {
    await world.database.query(
      `UPDATE "PolicyState" SET "defaultRequiredApprovals" = 2, version = version + 1 WHERE id = 1`,
    );
    forgetCachedPolicy();
    try {
      const { runId, requestId } = await requestDeletion("two.txt");
      const [first, second] = [await createTestUser("REVIEWER"), await createTestUser("REVIEWER")];
      expect((await approve(requestId, first.id)).status).toBe("PENDING");
      expect(await errorCodeOf(approve(requestId, first.id))).toBe("approval:already-voted");
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(deleted).not.toContain("two.txt");
      const results = await Promise.all(Array.from({ length: 20 }, () => errorCodeOf(approve(requestId, second.id))));
      expect(results.filter((code) => code === "OK")).toHaveLength(1);
      await waitForRunStatus(runId, ["COMPLETED"]);
      expect(deleted.filter((path) => path === "two.txt")).toHaveLength(1);
    } finally {
      await world.database.query(
        `UPDATE "PolicyState" SET "defaultRequiredApprovals" = 1, version = version + 1 WHERE id = 1`,
      );
      forgetCachedPolicy();
    }
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.approved", "approval.consumed", "tool-call.executed"]),
    );
  });
});
