import { expect, screenshot, signedInPage, test } from "./fixtures";
import { ChatPage } from "./pages/chat-page";
import { InboxPage } from "./pages/inbox-page";

test.describe("run trace view", () => {
  test("a run that waited for an approval: the reviewer and the owner see its waterfall", async ({ browser }) => {
    const user = await signedInPage(browser, "USER");
    const reviewer = await signedInPage(browser, "REVIEWER");
    const chat = new ChatPage(user);
    await chat.send("delete trace-notes.md");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "delete_file" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");

    // The reviewer follows the inbox detail's link while the run waits.
    const inbox = new InboxPage(reviewer);
    await inbox.open();
    await inbox.item("trace-notes.md").first().click();
    const link = inbox.detail().getByTestId("run-trace-link");
    const href = (await link.getAttribute("href")) ?? "";
    expect(href).toMatch(/^\/runs\/[^/]+\/trace$/);
    const tracePage = await reviewer.context().newPage();
    await tracePage.goto(href);
    await expect(tracePage.getByRole("heading", { name: "Run trace" })).toBeVisible();
    const waiting = tracePage.locator('[data-testid="trace-row"][data-kind="approval"]');
    await expect(waiting).toContainText("PENDING");
    await expect(waiting).toContainText("waiting");
    await tracePage.close();

    await reviewer.keyboard.press("a");
    await expect(inbox.detail()).toHaveAttribute("data-status", /APPROVED|CONSUMED/);
    await expect(card).toHaveAttribute("data-status", /SUCCEEDED|FAILED/, { timeout: 20_000 });
    await chat.waitForAnswerDone();

    // The owner: the same waterfall, now complete.
    await user.goto(href);
    const rows = user.getByTestId("trace-row");
    await expect(rows.filter({ hasText: "approval wait delete_file" })).toContainText("CONSUMED");
    await expect(rows.filter({ hasText: "policy delete_file" })).toContainText("REQUIRE_APPROVAL");
    await expect(rows.filter({ hasText: "tool delete_file" })).toHaveCount(1);
    await expect(rows.filter({ hasText: "model call demo" })).toHaveCount(2);
    await expect(rows.filter({ hasText: "approval wait delete_file" })).toContainText("APPROVE by");
    await expect(user.getByRole("heading", { name: "Run trace" })).toBeVisible();
    await screenshot(user, "run-trace");

    // An admin (who reads the audit log) sees it too.
    const admin = await signedInPage(browser, "ADMIN");
    await admin.goto(href);
    await expect(admin.getByTestId("trace-row").first()).toBeVisible();
    await admin.context().close();
    await user.context().close();
    await reviewer.context().close();
  });
});
