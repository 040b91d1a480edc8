/** A request the policy moved on from before anyone decided: voided at the decision, and the call asked for anew. */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { bumpPolicyVersion } from "../db/policy";
import { inTransaction } from "../db/transaction";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("a stale request at the decision", () => {
  it("a policy change before the decision voids the request and the call is asked for again", async () => {
    const { runId, requestId } = await requestDeletion("policy.txt");
    await inTransaction((tx) => bumpPolicyVersion(tx, null));
    const reviewer = await createTestUser("REVIEWER");
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:voided");
    const newRequest = await (async () => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const rows = await world.database.query<{ id: string }>(
          `SELECT id FROM "ApprovalRequest" WHERE "runId" = $1 AND status = 'PENDING'`,
          [runId],
        );
        if (rows[0]) return rows[0].id;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error("not asked again");
    })();
    expect(newRequest).not.toBe(requestId);
    await approve(newRequest, reviewer.id);
    await waitForRunStatus(runId, ["COMPLETED"]);
    expect(deleted.filter((path) => path === "policy.txt")).toHaveLength(1);
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.voided", "approval.approved", "approval.consumed"]),
    );
  });
});
