/**
 * A request is open to a decision only while its requester is active: deactivation and
 * demotion void it (and cancel the run), a race with deactivation is refused all the
 * same, and a promotion changes nothing.
 */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { changeUserRole, setUserActive } from "../auth/user-admin";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("the requester of an open request", () => {
  it("deactivating the requester voids their pending request and cancels the run: a later approval is refused, nothing runs", async () => {
    const { user, runId, requestId } = await requestDeletion("deactivated-requester.txt");
    const [admin, reviewer] = await Promise.all([createTestUser("ADMIN"), createTestUser("REVIEWER")]);
    await setUserActive({ userId: user.id, active: false, expectedVersion: 1, actorId: admin.id });
    const [request] = await world.database.query<{ status: string; decisionReason: string }>(
      `SELECT status::text, "decisionReason" FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(request).toEqual({ status: "VOIDED", decisionReason: "Voided: the requester was deactivated." });
    expect(await waitForRunStatus(runId, ["CANCELLED"])).toBe("CANCELLED");
    await expect(approve(requestId, reviewer.id)).rejects.toThrow(/no longer applies: the requester was deactivated/);
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:voided");
    expect(deleted).not.toContain("deactivated-requester.txt");
    const audited = await world.database.query<{ action: string; actorId: string }>(
      `SELECT action, "actorId" FROM "AuditEvent" WHERE "targetId" IN ($1, $2) ORDER BY id`,
      [requestId, runId],
    );
    expect(audited).toEqual(
      expect.arrayContaining([
        { action: "approval.voided", actorId: admin.id },
        { action: "run.cancelled", actorId: admin.id },
      ]),
    );
  });
  it("a request whose requester is inactive is refused even if deactivation missed it (a race): nothing runs", async () => {
    const { user, requestId } = await requestDeletion("raced-deactivation.txt");
    const reviewer = await createTestUser("REVIEWER");
    // As if the run had been queued just before the deactivation committed: the flag is set, the request still pending.
    await world.database.query(`UPDATE "User" SET active = false WHERE id = $1`, [user.id]);
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:voided");
    const [request] = await world.database.query<{ status: string }>(
      `SELECT status::text FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(request?.status).toBe("PENDING");
    expect(deleted).not.toContain("raced-deactivation.txt");
  });
  it("demoting the requester voids their pending request and cancels the run, too", async () => {
    const requester = await createTestUser("REVIEWER");
    const { runId, requestId } = await requestDeletion("demoted-requester.txt", requester);
    const [admin, reviewer] = await Promise.all([createTestUser("ADMIN"), createTestUser("REVIEWER")]);
    await changeUserRole({ userId: requester.id, role: "USER", expectedVersion: 1, actorId: admin.id });
    expect(await waitForRunStatus(runId, ["CANCELLED"])).toBe("CANCELLED");
    expect(await errorCodeOf(approve(requestId, reviewer.id))).toBe("approval:voided");
    expect(deleted).not.toContain("demoted-requester.txt");
  });
  it("promoting the requester leaves their pending request alone", async () => {
    const { user, requestId } = await requestDeletion("promoted-requester.txt");
    const [admin, reviewer] = await Promise.all([createTestUser("ADMIN"), createTestUser("REVIEWER")]);
    await changeUserRole({ userId: user.id, role: "REVIEWER", expectedVersion: 1, actorId: admin.id });
    expect((await approve(requestId, reviewer.id)).status).toBe("APPROVED");
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.voided", "run.cancelled", "approval.approved"]),
    );
  });
});
