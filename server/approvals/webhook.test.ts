/** The Slack-compatible notice: a new request reaches the webhook with a link to it in the inbox. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { resetEnvForTests } from "../env";
import { useDeletionWorld } from "../testing/integration";
import { renderNotice } from "./webhook";

const { world, requestDeletion } = useDeletionWorld();

describe("the approval webhook", () => {
  it("notifies the webhook with a link to the request in the inbox", async () => {
    const received: unknown[] = [];
    const server = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        received.push(JSON.parse(body));
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.APPROVAL_WEBHOOK_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    process.env.NEXTAUTH_URL = "http://airlock.test";
    resetEnvForTests();
    try {
      const { requestId } = await requestDeletion("notify.txt");
      for (let attempt = 0; attempt < 100 && received.length === 0; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(received[0]).toMatchObject({
        text: expect.stringContaining(`http://airlock.test/inbox?request=${requestId}`),
        airlock: { kind: "approval-requested", requestId },
      });
    } finally {
      delete process.env.APPROVAL_WEBHOOK_URL;
      resetEnvForTests();
      server.close();
    }
  });
  it("renders a notice as Slack blocks with the link, for a request and for an expiry", () => {
    process.env.NEXTAUTH_URL = "http://airlock.test/";
    resetEnvForTests();
    try {
      const notice = {
        requestId: "request/with?odd&id",
        toolName: "delete_file",
        riskClass: "DESTRUCTIVE",
        summary: "Delete a.txt",
        requester: "user@test.local",
      };
      const requested = renderNotice({ ...notice, kind: "approval-requested" });
      const link = "http://airlock.test/inbox?request=request%2Fwith%3Fodd%26id";
      expect(requested.airlock).toEqual({ kind: "approval-requested", requestId: notice.requestId, url: link });
      expect(requested.text).toBe(
        `Approval needed: delete_file (DESTRUCTIVE) requested by user@test.local\nDelete a.txt\n${link}`,
      );
      expect(JSON.stringify(requested.blocks)).toContain(link);
      const expired = renderNotice({ ...notice, kind: "approval-expired" });
      expect(expired.text).toMatch(
        /^Approval request expired without a decision: delete_file requested by user@test.local/,
      );
    } finally {
      delete process.env.NEXTAUTH_URL;
      resetEnvForTests();
    }
  });

  it("left an intact audit chain", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    expect(await world.auditActions()).toEqual(expect.arrayContaining(["approval.requested"]));
  });
});
