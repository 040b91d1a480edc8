/** "Approve with edits": re-validated, re-decided by policy, bound to the edit and audited with both versions. */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { bumpPolicyVersion } from "../db/policy";
import { inTransaction } from "../db/transaction";
import { errorCodeOf } from "../testing/errors";
import { createTestUser, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";

const { world, deleted, requestDeletion } = useDeletionWorld();
const { approve } = world;

describe("approving with edited arguments", () => {
  it("approve with edits binds to the edited arguments, re-validated and audited with both", async () => {
    const { runId, requestId } = await requestDeletion("original.txt");
    const reviewer = await createTestUser("REVIEWER");
    expect(await errorCodeOf(approve(requestId, reviewer.id, { path: "" }))).toBe("approval:invalid-edit");
    expect(await errorCodeOf(approve(requestId, reviewer.id, { file: "x" }))).toBe("approval:invalid-edit");
    await approve(requestId, reviewer.id, { path: "edited.txt" });
    await waitForRunStatus(runId, ["COMPLETED"]);
    expect(deleted).toContain("edited.txt");
    expect(deleted).not.toContain("original.txt");
    const [audit] = await world.database.query<{ data: { original: unknown; edited: unknown } }>(
      `SELECT data FROM "AuditEvent" WHERE action = 'approval.arguments-edited' AND "targetId" = $1`,
      [requestId],
    );
    expect(audit?.data).toMatchObject({ original: { path: "original.txt" }, edited: { path: "edited.txt" } });
    const [call] = await world.database.query<{ result: { note: string } }>(
      `SELECT result FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call?.result.note).toMatch(/edited the arguments/);
  });
  it("an edit still holding the inbox's [hidden] placeholder is refused: it would run without the value", async () => {
    const { requestId } = await requestDeletion("placeholder.txt");
    const reviewer = await createTestUser("REVIEWER");
    expect(await errorCodeOf(approve(requestId, reviewer.id, { path: "[hidden].txt" }))).toBe("approval:invalid-edit");
    const [row] = await world.database.query<{ status: string; editedArgs: unknown }>(
      `SELECT status, "editedArgs" FROM "ApprovalRequest" WHERE id = $1`,
      [requestId],
    );
    expect(row).toEqual({ status: "PENDING", editedArgs: null });
  });
  it("an edit that policy denies is refused and the request stays pending", async () => {
    const { requestId } = await requestDeletion("guarded.txt");
    await world.database.query(
      `INSERT INTO "PolicyRule" (id, "toolName", description, conditions, effect, position)
       VALUES ('deny-etc', 'delete_file', 'never delete under etc/', '[{"path":"args.path","operator":"glob","value":"etc/**"}]', '{"decision":"DENY"}', 1)`,
    );
    await inTransaction((tx) => bumpPolicyVersion(tx, null));
    try {
      const reviewer = await createTestUser("REVIEWER");
      expect(await errorCodeOf(approve(requestId, reviewer.id, { path: "etc/passwd" }))).toBe("approval:edit-denied");
      const [request] = await world.database.query<{ status: string }>(
        `SELECT status FROM "ApprovalRequest" WHERE id = $1`,
        [requestId],
      );
      expect(request?.status).toBe("PENDING");
    } finally {
      await world.database.query(`DELETE FROM "PolicyRule" WHERE id = 'deny-etc'`);
      await inTransaction((tx) => bumpPolicyVersion(tx, null));
    }
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.arguments-edited", "approval.approved", "approval.consumed"]),
    );
  });
});
