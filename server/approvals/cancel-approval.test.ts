/** The requester withdraws their own pending request; for anyone else it does not exist. */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { cancelApprovalRequest } from "./cancel-approval";

const { world, deleted, requestDeletion } = useDeletionWorld();

describe("withdrawing an approval request", () => {
  it("the requester can withdraw their pending request; nobody else can", async () => {
    const { user, runId, requestId } = await requestDeletion("withdrawn.txt");
    const stranger = await createTestUser("ADMIN");
    expect(await errorCodeOf(cancelApprovalRequest({ requestId, userId: stranger.id }))).toBe("approval:not-found");
    await cancelApprovalRequest({ requestId, userId: user.id });
    await waitForRunStatus(runId, ["COMPLETED"]);
    expect(deleted).not.toContain("withdrawn.txt");
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(expect.arrayContaining(["approval.requested", "approval.cancelled"]));
  });
});
