/**
 * What reviewers see of a request's conversation: values released by earlier sensitive
 * reads are hidden, in every form the model may have repeated them in.
 */
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { createTestConversation, createTestUser, sendTestMessage, waitForRunStatus } from "../testing/fixtures";
import { useDeletionWorld } from "../testing/integration";
import { createSecretReadTool } from "../testing/test-tools";
import { inboxDetail } from "./inbox";

const SECRET_VALUE = "sk_live_do_not_show_reviewers_42";
/** The reported case: a value JSON must escape, so a model quoting it writes another string. */
const HOSTILE_VALUE = 'pa"ss\\word\nsecond-line-of-it\t\u00e9\u{1F511}';
const readSecret = createSecretReadTool({
  valueOf: (name) => (name === "HOSTILE_KEY" ? HOSTILE_VALUE : SECRET_VALUE),
});
const { world } = useDeletionWorld({ otherTools: [readSecret] });
const { approve } = world;

describe("the inbox", () => {
  it("a reviewer's context hides values released by earlier sensitive reads, even where the model repeated them", async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const reviewer = await createTestUser("REVIEWER");
    const read = await sendTestMessage(user.id, conversation.id, "read the STRIPE_KEY secret");
    await approve(await world.pendingRequestOf(read), reviewer.id);
    await waitForRunStatus(read, ["COMPLETED"]);
    const echoed = await world.database.query<{ parts: unknown }>(
      `SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT'`,
      [read],
    );
    expect(JSON.stringify(echoed)).toContain(SECRET_VALUE); // the requester's own transcript has it
    const events = await world.database.query<{ data: unknown }>(`SELECT data FROM "RunEvent" WHERE "runId" = $1`, [
      read,
    ]);
    expect(JSON.stringify(events)).not.toContain(SECRET_VALUE);
    const deletion = await sendTestMessage(user.id, conversation.id, "delete secret-notes.txt");
    const detail = await inboxDetail(await world.pendingRequestOf(deletion), world.deps.tools);
    expect(JSON.stringify(detail.context)).toContain("STRIPE_KEY");
    expect(JSON.stringify(detail)).not.toContain(SECRET_VALUE);
  });
  it("a value with a quote, a backslash and a newline stays hidden from reviewers, in every form the model wrote it", async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const reviewer = await createTestUser("REVIEWER");
    const read = await sendTestMessage(user.id, conversation.id, "read the HOSTILE_KEY secret");
    const readRequest = await world.pendingRequestOf(read);
    await approve(readRequest, reviewer.id);
    await waitForRunStatus(read, ["COMPLETED"]);
    const escaped = JSON.stringify(HOSTILE_VALUE).slice(1, -1);
    const transcript = JSON.stringify(
      await world.database.query(`SELECT parts FROM "Message" WHERE "runId" = $1 AND role = 'ASSISTANT'`, [read]),
    );
    // The demo model quotes the result as JSON, so its text holds the escaped form.
    expect(transcript).toContain(JSON.stringify(escaped).slice(1, -1));
    const betraying = [HOSTILE_VALUE, escaped, "second-line-of-it", 'pa\\"ss'];
    const later = await sendTestMessage(user.id, conversation.id, "delete hostile-notes.txt");
    for (const requestId of [readRequest, await world.pendingRequestOf(later)]) {
      const detail = JSON.stringify(await inboxDetail(requestId, world.deps.tools));
      expect(detail).toContain("HOSTILE_KEY");
      for (const text of betraying) expect(detail).not.toContain(JSON.stringify(text).slice(1, -1));
    }
    const events = JSON.stringify(
      await world.database.query(`SELECT data FROM "RunEvent" WHERE "runId" = ANY($1)`, [[read, later]]),
    );
    for (const text of betraying) expect(events).not.toContain(JSON.stringify(text).slice(1, -1));
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(
      expect.arrayContaining(["approval.requested", "approval.approved", "approval.consumed", "tool-call.executed"]),
    );
  });
});
