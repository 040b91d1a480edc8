import type { APIRequestContext } from "@playwright/test";
import { expect, signedInPage, test } from "./fixtures";

/** tRPC over plain HTTP with a signed-in session's cookies, the way any client could call it. */
async function call(request: APIRequestContext, path: string, input: unknown, kind: "query" | "mutation") {
  const encoded = encodeURIComponent(JSON.stringify({ json: input }));
  const response =
    kind === "query"
      ? await request.get(`/api/trpc/${path}?input=${encoded}`)
      : await request.post(`/api/trpc/${path}`, {
          data: { json: input },
          headers: { "content-type": "application/json" },
        });
  return response.status();
}

test("approvals procedures over HTTP: every role, own and other runs", async ({ browser }) => {
  const user = await signedInPage(browser, "USER");
  const reviewer = await signedInPage(browser, "REVIEWER");
  const admin = await signedInPage(browser, "ADMIN");

  // An admin's own run asks for approval.
  const created = await admin.request.post("/api/trpc/conversation.create", {
    data: { json: {} },
    headers: { "content-type": "application/json" },
  });
  const conversationId = (await created.json()).result.data.json.id as string;
  await admin.request.post("/api/trpc/chat.send", {
    data: { json: { conversationId, text: "delete docs/architecture.md" } },
    headers: { "content-type": "application/json" },
  });
  let requestId: string | undefined;
  await expect(async () => {
    const list = await reviewer.request.get(
      `/api/trpc/approvals.list?input=${encodeURIComponent(JSON.stringify({ json: { statuses: ["PENDING"], toolName: "delete_file", limit: 50 } }))}`,
    );
    const items = (await list.json()).result.data.json as { id: string; args: { path: string } }[];
    requestId = items.find((item) => item.args.path === "docs/architecture.md")?.id;
    expect(requestId).toBeTruthy();
  }).toPass({ timeout: 20_000 });

  // USER: no reviewer procedure, whatever the request.
  for (const [path, input, kind] of [
    ["approvals.list", {}, "query"],
    ["approvals.get", { id: requestId }, "query"],
    ["approvals.pendingCount", undefined, "query"],
    ["approvals.decide", { requestId, verdict: "approve" }, "mutation"],
    ["approvals.decideMany", { requestIds: [requestId], verdict: "approve" }, "mutation"],
  ] as const) {
    expect(await call(user.request, path, input, kind), `${path} as USER`).toBe(403);
  }
  // Nobody but the requester may withdraw; unknown ids are not found.
  expect(await call(user.request, "approvals.cancel", { requestId }, "mutation")).toBe(404);
  expect(await call(reviewer.request, "approvals.cancel", { requestId }, "mutation")).toBe(404);
  // The ADMIN cannot approve their own run's request.
  expect(await call(admin.request, "approvals.decide", { requestId, verdict: "approve" }, "mutation")).toBe(403);
  // A forged id is malformed; a well-formed id that names no request is not found.
  expect(
    await call(reviewer.request, "approvals.decide", { requestId: "forged", verdict: "approve" }, "mutation"),
  ).toBe(400);
  expect(
    await call(
      reviewer.request,
      "approvals.decide",
      { requestId: "cnotarealid00000000000000", verdict: "approve" },
      "mutation",
    ),
  ).toBe(404);
  // Reject without a reason is a bad request.
  expect(
    await call(reviewer.request, "approvals.decide", { requestId, verdict: "reject", reason: " " }, "mutation"),
  ).toBe(400);
  // A REVIEWER can; a replay of the same decision conflicts.
  expect(
    await call(reviewer.request, "approvals.decide", { requestId, verdict: "reject", reason: "not today" }, "mutation"),
  ).toBe(200);
  expect(
    await call(reviewer.request, "approvals.decide", { requestId, verdict: "reject", reason: "not today" }, "mutation"),
  ).toBe(409);
  // Signed out.
  const anonymous = await browser.newContext();
  expect(await call(anonymous.request, "approvals.list", {}, "query")).toBe(401);
  for (const page of [user, reviewer, admin]) await page.context().close();
  await anonymous.close();
});
