import type { Page } from "@playwright/test";
import { expect, screenshot, signedInPage, test } from "./fixtures";
import { ChatPage } from "./pages/chat-page";
import { InboxPage } from "./pages/inbox-page";

/**
 * Dispatches `key` from a MutationObserver the moment the inbox shows `count` items: a
 * microtask after React's commit, before any passive effect, as a fast user would. Also
 * records which item was selected at that moment (as window.selectedBeforeKey).
 */
async function pressAsTheListAppears(page: Page, key: string, count: number) {
  await page.addInitScript(
    ({ key, count }) => {
      const observer = new MutationObserver(() => {
        const items = [...document.querySelectorAll('[data-testid="inbox-item"]')];
        if (items.length < count) return;
        observer.disconnect();
        (window as unknown as { selectedBeforeKey?: string }).selectedBeforeKey = String(
          items.findIndex((item) => item.getAttribute("aria-current") === "true"),
        );
        window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
      });
      observer.observe(document, { childList: true, subtree: true });
    },
    { key, count },
  );
}

test.describe("approval as authorization", () => {
  test("a destructive request waits; a reviewer sees it arrive live, approves, and the user's chat continues", async ({
    browser,
  }) => {
    const user = await signedInPage(browser, "USER");
    const reviewer = await signedInPage(browser, "REVIEWER");
    const inbox = new InboxPage(reviewer);
    await inbox.open();
    const before = await inbox.item("old-notes.md").count();

    const chat = new ChatPage(user);
    await chat.send("delete old-notes.md");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "delete_file" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");
    await expect(card).toContainText("Waiting for a reviewer");
    await screenshot(user, "chat-pending-approval");

    // Live: no reload on the reviewer's side.
    await expect(inbox.item("old-notes.md")).toHaveCount(before + 1);
    await expect(reviewer.getByTestId("pending-count")).toBeVisible();
    await inbox.item("old-notes.md").first().click();
    await expect(inbox.detail()).toContainText("delete_file");
    await expect(inbox.detail()).toContainText("old-notes.md");
    await expect(inbox.detail()).toContainText("destructive actions need explicit human approval");
    await screenshot(reviewer, "inbox-detail");
    await reviewer.keyboard.press("a");
    await expect(inbox.detail()).toHaveAttribute("data-status", /APPROVED|CONSUMED/);

    await expect(card).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 20_000 });
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("delete_file");
    // The file is really gone.
    await chat.send("list the files");
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("README.md");
    await expect(chat.lastAssistant()).not.toContainText("old-notes.md");
    await user.context().close();
    await reviewer.context().close();
  });

  test("a rejected request tells the user why and leaves the file in place", async ({ browser }) => {
    const user = await signedInPage(browser, "USER");
    const reviewer = await signedInPage(browser, "REVIEWER");
    const chat = new ChatPage(user);
    await chat.send("delete README.md");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "delete_file" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");

    const inbox = new InboxPage(reviewer);
    await inbox.open();
    await inbox.item("README.md").first().click();
    await inbox.reject("The README stays: it documents the service");
    await expect(inbox.detail()).toHaveAttribute("data-status", "REJECTED");

    await expect(card).toHaveAttribute("data-status", "REFUSED", { timeout: 20_000 });
    await expect(card).toContainText("The README stays");
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("The README stays");
    await chat.send("show me README.md");
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("Invoice Reminder Service");
    await screenshot(user, "chat-rejected");
    await user.context().close();
    await reviewer.context().close();
  });

  test("the keyboard drives the inbox: j/k move, r opens the reason, batch approve reports each item", async ({
    browser,
  }) => {
    const user = await signedInPage(browser, "USER");
    const chat = new ChatPage(user);
    for (const file of ["src/format.ts", "config.json"]) {
      await chat.page.goto("/chat");
      await chat.send(`delete ${file}`);
      await chat.waitForConversationUrl();
      await expect(user.getByTestId("tool-call").filter({ hasText: "delete_file" })).toHaveAttribute(
        "data-status",
        "AWAITING_APPROVAL",
      );
    }
    // The first key pressed as the list appears (in the same moment, before React's
    // passive effects have run) already acts on that list.
    const early = await signedInPage(browser, "REVIEWER");
    await pressAsTheListAppears(early, "j", 2);
    await new InboxPage(early).open();
    await expect(new InboxPage(early).items().nth(1)).toHaveAttribute("aria-current", "true");
    expect(await early.evaluate(() => (window as unknown as { selectedBeforeKey?: string }).selectedBeforeKey)).toBe(
      "0",
    );
    await early.context().close();

    const reviewer = await signedInPage(browser, "REVIEWER");
    const inbox = new InboxPage(reviewer);
    await inbox.open();
    await expect(inbox.items()).toHaveCount(2);
    const first = await inbox.items().nth(0).getAttribute("aria-current");
    await reviewer.keyboard.press("j");
    await expect(inbox.items().nth(1)).toHaveAttribute("aria-current", "true");
    await reviewer.keyboard.press("k");
    await expect(inbox.items().nth(0)).toHaveAttribute("aria-current", "true");
    expect(first).toBe("true");
    // A request is decided once it is on screen: r acts on the request shown, not on one still loading.
    await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
    await reviewer.keyboard.press("r");
    await expect(reviewer.getByLabel(/Reason for rejecting/)).toBeFocused();
    await reviewer.keyboard.press("Escape");
    await reviewer.getByRole("checkbox").nth(0).check();
    await reviewer.getByRole("checkbox").nth(1).check();
    // Approving is authorization: the batch asks first, naming what it approves, with Cancel focused.
    const approveSelected = reviewer.getByRole("button", { name: "Approve selected" });
    const confirm = reviewer.getByRole("dialog", { name: "Approve 2 requests?" });
    await approveSelected.click();
    await expect(confirm).toHaveAccessibleDescription(/runs as soon as it has the approvals/);
    await expect(confirm.getByTestId("batch-approve-list").getByRole("listitem")).toHaveCount(2);
    await expect(confirm.getByTestId("batch-approve-list")).toContainText("src/format.ts");
    await expect(confirm.getByTestId("batch-approve-list")).toContainText("config.json");
    await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
    // Neither Enter on the default focus, nor "a" (the request behind it), nor Escape approves anything.
    await reviewer.keyboard.press("a");
    await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
    await reviewer.keyboard.press("Enter");
    await expect(confirm).toBeHidden();
    await approveSelected.click();
    await reviewer.keyboard.press("Escape");
    await expect(confirm).toBeHidden();
    await expect(approveSelected).toBeFocused();
    await expect(reviewer.getByText("2 selected")).toBeVisible();
    await expect(inbox.items()).toHaveCount(2);
    await approveSelected.click();
    await screenshot(reviewer, "inbox-batch-confirm");
    await confirm.getByRole("button", { name: "Approve 2" }).click();
    await expect(reviewer.getByRole("status").filter({ hasText: "2 of 2 decided" })).toBeVisible();
    await screenshot(reviewer, "inbox-batch");
    await expect(inbox.items()).toHaveCount(0);
    await user.context().close();
    await reviewer.context().close();
  });
});

test.describe("what became of an approved call", () => {
  // Failed and unknown outcomes are covered over the query in server/approvals/inbox.test.ts.
  test("the reviewer sees in the inbox that the call they approved ran and succeeded", async ({ browser }) => {
    const user = await signedInPage(browser, "USER");
    const reviewer = await signedInPage(browser, "REVIEWER");
    const chat = new ChatPage(user);
    const inbox = new InboxPage(reviewer);
    await chat.send("delete src/reminders.ts");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "delete_file" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");
    await inbox.open();
    await inbox.item("src/reminders.ts").first().click();
    await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
    await reviewer.keyboard.press("a");
    await expect(card).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 20_000 });

    await reviewer.getByRole("tab", { name: "History" }).click();
    const item = inbox.item("src/reminders.ts").first();
    await expect(item.getByTestId("call-outcome")).toHaveText("ran: succeeded");
    await item.click();
    await expect(reviewer.getByTestId("call-outcome-detail")).toHaveAttribute("data-call-status", "SUCCEEDED");
    await screenshot(reviewer, "inbox-call-outcome");
    await user.context().close();
    await reviewer.context().close();
  });
});
