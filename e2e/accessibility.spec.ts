import AxeBuilder from "@axe-core/playwright";
import type { Browser, Locator, Page } from "@playwright/test";
import { expect, screenshot, signedInPage, test, USERS } from "./fixtures";
import { resultOf } from "./pages/admin-page";
import { ChatPage } from "./pages/chat-page";
import { SignInPage } from "./pages/sign-in-page";

/** Serious and critical violations on the page as it is now, one line each, for a readable failure. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) =>
        `${violation.id} (${violation.impact}): ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(" "))
          .join(" | ")}`,
    );
}

/** Each main page, and what shows once its data has loaded. */
const MAIN_PAGES: { path: string; ready: (page: Page) => Locator }[] = [
  { path: "/chat", ready: (page) => page.locator("form[data-ready=true]") },
  { path: "/inbox", ready: (page) => page.getByRole("tab", { name: "Pending" }) },
  { path: "/admin", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/users", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/tools", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/models", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/secrets", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/settings", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/admin/audit", ready: (page) => page.getByRole("heading", { level: 1 }) },
  { path: "/account/password", ready: (page) => page.getByRole("heading", { level: 1 }) },
];

for (const theme of ["light", "dark"] as const) {
  test(`no serious or critical axe violations on every main page, ${theme} theme`, async ({ browser }) => {
    // Eleven audits on a loaded machine.
    test.setTimeout(240_000);
    const signedOut = await (await browser.newContext({ colorScheme: theme })).newPage();
    await signedOut.goto("/signin");
    await expect(signedOut.locator("form[data-ready=true]")).toBeVisible();
    await expect(signedOut.locator("html")).toHaveClass(
      new RegExp(theme === "dark" ? "\\bdark\\b" : "^(?!.*\\bdark\\b)"),
    );
    expect(await seriousViolations(signedOut), "/signin").toEqual([]);
    await signedOut.context().close();

    const page = await signedInPage(browser, "ADMIN");
    await page.emulateMedia({ colorScheme: theme });
    // Every page is audited before the one assertion, so a failure lists them all.
    const found: Record<string, string[]> = {};
    for (const entry of MAIN_PAGES) {
      await page.goto(entry.path);
      await expect(entry.ready(page).first()).toBeVisible();
      // Skeletons and spinners gone: the page shows its data.
      await expect(page.locator("main").getByRole("status", { name: /Loading/ })).toHaveCount(0);
      const violations = await seriousViolations(page);
      if (violations.length > 0) found[entry.path] = violations;
      await screenshot(page, `${theme}${entry.path.replaceAll("/", "-")}`);
    }
    // A conversation with a tool call and an answer.
    const chat = new ChatPage(page);
    await page.goto("/chat");
    await chat.send("list the files");
    await chat.waitForAnswerDone();
    const conversation = await seriousViolations(page);
    if (conversation.length > 0) found["a conversation"] = conversation;
    expect(found).toEqual({});
    await page.context().close();
  });
}

/** Presses Tab until `target` has focus: the way a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, limit = 60) {
  for (let presses = 0; presses < limit; presses++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

async function keyboardSignIn(browser: Browser, role: keyof typeof USERS, callbackPath = "") {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/signin${callbackPath ? `?callbackUrl=${encodeURIComponent(callbackPath)}` : ""}`);
  await expect(page.locator("form[data-ready=true]")).toBeVisible();
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(USERS[role].email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(USERS[role].password);
  await page.keyboard.press("Enter");
  return page;
}

test("keyboard only, no mouse: sign in, chat, inbox, approve, and the chat goes on", async ({ browser }) => {
  const user = await keyboardSignIn(browser, "USER");
  await expect(user).toHaveURL(/\/chat/);
  const chat = new ChatPage(user);
  await chat.ready();
  await tabTo(user, chat.composer());
  await user.keyboard.type("delete src/index.ts");
  await user.keyboard.press("Enter");
  await chat.waitForConversationUrl();
  const card = user.getByTestId("tool-call").filter({ hasText: "delete_file" });
  await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");

  const reviewer = await keyboardSignIn(browser, "REVIEWER");
  await expect(reviewer).toHaveURL(/\/chat/);
  await tabTo(reviewer, reviewer.getByRole("link", { name: /^Inbox/ }));
  await reviewer.keyboard.press("Enter");
  await expect(reviewer).toHaveURL(/\/inbox/);
  const item = reviewer.getByTestId("inbox-item").filter({ hasText: "src/index.ts" }).first();
  await tabTo(reviewer, item);
  await expect(item).toBeFocused();
  // Visible focus: the focused row draws an outline.
  expect(await item.evaluate((element) => getComputedStyle(element).outlineStyle)).not.toBe("none");
  await reviewer.keyboard.press("Enter");
  // Opening moves focus to the request; the decision is a key away.
  await expect(reviewer.getByTestId("request-detail").getByRole("heading", { level: 1 })).toBeFocused();
  await expect(reviewer.getByTestId("request-detail")).toHaveAttribute("data-status", "PENDING");
  // Edit opens its form with focus in it; Escape closes it; Tab reaches Approve; Enter decides.
  await reviewer.keyboard.press("e");
  await expect(reviewer.getByLabel(/Edited arguments/)).toBeFocused();
  await reviewer.keyboard.press("Escape");
  const approve = reviewer.getByRole("button", { name: /^Approve/ });
  await tabTo(reviewer, approve);
  await reviewer.keyboard.press("Enter");
  await expect(reviewer.getByTestId("request-detail")).toHaveAttribute("data-status", /APPROVED|CONSUMED/);
  await expect(card).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 20_000 });
  await chat.waitForAnswerDone();
  await user.context().close();
  await reviewer.context().close();
});

test("the theme toggle picks light, dark or the device's setting, remembered per user", async ({ browser }) => {
  const context = await browser.newContext({ colorScheme: "light" });
  const page = await context.newPage();
  await new SignInPage(page).signIn(USERS.REVIEWER.email, USERS.REVIEWER.password);
  await expect(page).toHaveURL(/\/chat/);
  const html = page.locator("html");
  const toggle = page.getByTestId("theme-toggle");
  await expect(toggle).toHaveAttribute("data-theme", "system");
  await expect(html).not.toHaveClass(/\bdark\b/);
  await toggle.click();
  await expect(toggle).toHaveAttribute("data-theme", "light");
  await toggle.click();
  await expect(toggle).toHaveAttribute("data-theme", "dark");
  await expect(html).toHaveClass(/\bdark\b/);
  // Both quick picks stored, in order (the server ends on the last one).
  await expect(toggle).toHaveAttribute("data-saving", "false");
  // Applied before paint on the next page load, and kept.
  await page.reload();
  await expect(html).toHaveClass(/\bdark\b/);
  await expect(toggle).toHaveAttribute("data-theme", "dark");

  // Another person in the same browser keeps their own (the device's light).
  await resultOf(page, "me.setTheme", { theme: "SYSTEM" }, "mutation"); // the pick is on the server: undo it for later tests
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await new SignInPage(page).signIn(USERS.USER.email, USERS.USER.password);
  await expect(page).toHaveURL(/\/chat/);
  await expect(toggle).toHaveAttribute("data-theme", "system");
  await expect(html).not.toHaveClass(/\bdark\b/);
  await context.close();
});
