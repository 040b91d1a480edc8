import type { Browser, Locator, Page } from "@playwright/test";
import { expect, screenshot, signedInPage, test, USERS } from "./fixtures";
import { ChatPage } from "./pages/chat-page";
import { InboxPage } from "./pages/inbox-page";
import { SignInPage } from "./pages/sign-in-page";
import { VIEWPORTS, type ViewportName } from "./viewports";

async function phonePage(browser: Browser, role?: keyof typeof USERS): Promise<Page> {
  if (role) {
    const page = await signedInPage(browser, role);
    await page.setViewportSize(VIEWPORTS.phone);
    return page;
  }
  const context = await browser.newContext({ viewport: VIEWPORTS.phone, hasTouch: true, isMobile: true });
  return context.newPage();
}

/** The page is no wider than the screen: nothing pushes the layout sideways. */
async function expectNoSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/**
 * Chromium draws a select's drop-down arrow inside its content box, about 20 px of it at
 * text-sm; 16 leaves room for font differences. Measured here: 20.5 px of room for "Demo
 * model (offline)", and −14.5 px with the select capped at 9.5rem as it was (the name cut off).
 */
const SELECT_ARROW_PX = 16;

/** The select's content width minus the width of the text of its selected option, in px. */
function textRoomInSelect(select: Locator): Promise<number> {
  return select.evaluate((element) => {
    const picker = element as HTMLSelectElement;
    const style = getComputedStyle(picker);
    const context = document.createElement("canvas").getContext("2d");
    if (!context) throw new Error("no canvas");
    context.font = style.font;
    const text = context.measureText(picker.selectedOptions[0]?.text ?? "").width;
    const content = picker.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
    return content - text;
  });
}

test.describe("on a phone", () => {
  test("a reviewer opens a request from its link, signs in, reads the preview and approves; the user's chat on a phone continues", async ({
    browser,
  }) => {
    const user = await phonePage(browser, "USER");
    const chat = new ChatPage(user);
    await chat.send("delete test customers");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "sql_query" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");
    await expectNoSidewaysScroll(user);
    await expect(chat.composer()).toBeInViewport();
    await screenshot(user, "phone-chat-pending");
    // The model's name is not cut off: the select leaves room for all of it beside its arrow.
    expect(await textRoomInSelect(chat.modelPicker())).toBeGreaterThanOrEqual(SELECT_ARROW_PX);
    // The request's id arrives with the stored transcript, just after the live status.
    await expect(card).toHaveAttribute("data-approval-id", /.+/);
    const requestId = await card.getAttribute("data-approval-id");
    expect(requestId).toBeTruthy();

    // The webhook's link, opened signed out: sign-in first, then straight to that request.
    const reviewer = await phonePage(browser);
    await reviewer.goto(`/inbox?request=${requestId}`);
    await expect(reviewer).toHaveURL(/\/signin\?callbackUrl=/);
    const signIn = new SignInPage(reviewer);
    await expect(reviewer.locator("form[data-ready=true]")).toBeVisible();
    await signIn.fill(USERS.REVIEWER.email, USERS.REVIEWER.password);
    await reviewer.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(reviewer).toHaveURL(new RegExp(`/inbox\\?request=${requestId}`));
    const inbox = new InboxPage(reviewer);
    await expect(inbox.detail()).toBeVisible();
    await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
    // The tab title carries the pending count.
    await expect(reviewer).toHaveTitle(/^\(\d+\) Airlock$/);
    await expect(reviewer.getByTestId("preview-summary")).toBeInViewport();
    await expect(reviewer.getByTestId("preview-detail")).toContainText("DELETE");
    await expectNoSidewaysScroll(reviewer);
    await screenshot(reviewer, "phone-inbox-detail");
    // The decision bar stays on screen, however long the request.
    const approve = reviewer.getByRole("button", { name: /^Approve/ });
    await expect(approve).toBeInViewport();
    await reviewer.getByTestId("request-detail").evaluate((element) => {
      element.closest("[data-scroll-box]")?.scrollTo({ top: 100_000 });
    });
    await expect(approve).toBeInViewport();
    await approve.tap();
    await expect(inbox.detail()).toHaveAttribute("data-status", /APPROVED|CONSUMED/);

    await expect(card).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 20_000 });
    await chat.waitForAnswerDone();
    await expect(chat.lastAssistant()).toContainText("sql_query");
    // Said once, politely, when the answer is done (not token by token).
    await expect(user.getByTestId("run-announcement")).toContainText("Answer finished");
    await expect(chat.composer()).toBeInViewport();
    await screenshot(user, "phone-chat-continued");

    // Back to the list, and the conversation list opens as a drawer.
    await reviewer.getByRole("button", { name: "Back to requests" }).tap();
    await expect(reviewer.getByRole("tab", { name: "Pending" })).toBeInViewport();
    await expect(reviewer.getByTestId("request-detail")).toBeHidden();
    await expect(user.getByRole("complementary", { name: "Conversations" })).toBeHidden();
    await user.getByRole("button", { name: "Conversations" }).click();
    await expect(user.getByRole("complementary", { name: "Conversations" })).toBeVisible();
    await screenshot(user, "phone-chat-drawer");
    await user.keyboard.press("Escape");
    await expect(user.getByRole("complementary", { name: "Conversations" })).toBeHidden();
    await user.context().close();
    await reviewer.context().close();
  });
});

test.describe("at every size", () => {
  const pages = [
    { name: "chat", path: "/chat", role: "ADMIN" as const, ready: (page: Page) => new ChatPage(page).ready() },
    {
      name: "inbox",
      path: "/inbox",
      role: "ADMIN" as const,
      ready: (page: Page) => expect(page.getByRole("tab", { name: "Pending" })).toBeVisible(),
    },
    {
      name: "admin-tools",
      path: "/admin/tools",
      role: "ADMIN" as const,
      ready: (page: Page) => expect(page.getByRole("heading", { level: 1 })).toBeVisible(),
    },
    {
      name: "admin-users",
      path: "/admin/users",
      role: "ADMIN" as const,
      ready: (page: Page) => expect(page.getByRole("heading", { level: 1 })).toBeVisible(),
    },
    {
      name: "account",
      path: "/account/password",
      role: "ADMIN" as const,
      ready: (page: Page) => expect(page.getByRole("heading", { level: 1 })).toBeVisible(),
    },
  ];

  test("every main page fits the screen and is written to e2e/screenshots", async ({ browser }) => {
    // Four sizes by six pages, on a loaded machine.
    test.setTimeout(300_000);
    const signedOut = await (await browser.newContext()).newPage();
    const page = await signedInPage(browser, "ADMIN");
    for (const size of Object.keys(VIEWPORTS) as ViewportName[]) {
      await signedOut.setViewportSize(VIEWPORTS[size]);
      await new SignInPage(signedOut).open();
      await expectNoSidewaysScroll(signedOut);
      await screenshot(signedOut, `${size}-signin`);
      await page.setViewportSize(VIEWPORTS[size]);
      for (const entry of pages) {
        await page.goto(entry.path);
        await entry.ready(page);
        await expect(page.locator("main").getByRole("status", { name: /Loading/ })).toHaveCount(0);
        // The admin console is fully usable from tablet up; a phone may scroll its tables in their box.
        if (!(size === "phone" && entry.name.startsWith("admin"))) await expectNoSidewaysScroll(page);
        await screenshot(page, `${size}-${entry.name}`);
      }
    }
    await signedOut.context().close();
    await page.context().close();
  });
});
