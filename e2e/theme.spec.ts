/**
 * The theme is remembered per user on the server (issue 16): dark chosen in one browser
 * is dark at first paint in another — drawn into the HTML itself, so it holds with
 * JavaScript off — while another user keeps the device's setting, and this browser's
 * localStorage copy never overrides the server's value.
 */
import type { Browser, BrowserContext } from "@playwright/test";
import { expect, test, USERS } from "./fixtures";
import { resultOf } from "./pages/admin-page";
import { SignInPage } from "./pages/sign-in-page";

async function signedInContext(browser: Browser, role: keyof typeof USERS): Promise<BrowserContext> {
  const context = await browser.newContext({ colorScheme: "light" });
  const page = await context.newPage();
  await new SignInPage(page).signIn(USERS[role].email, USERS[role].password);
  await expect(page).toHaveURL(/\/chat/);
  return context;
}

/** <html> as the server sent it: what the browser paints before any script has run. */
async function htmlTagOf(context: BrowserContext, path: string): Promise<string> {
  const response = await context.request.get(path);
  expect(response.status()).toBe(200);
  return /<html[^>]*>/.exec(await response.text())?.[0] ?? "";
}

test("dark chosen in one browser is dark at first paint in a new one; another user is not", async ({ browser }) => {
  const first = await signedInContext(browser, "REVIEWER");
  const page = first.pages()[0];
  if (!page) throw new Error("no page");
  const toggle = page.getByTestId("theme-toggle");
  // The toggle goes system → light → dark → system, from whatever an earlier test left.
  for (let click = 0; click < 3 && (await toggle.getAttribute("data-theme")) !== "dark"; click++) {
    const before = await toggle.getAttribute("data-theme");
    await toggle.click();
    await expect(toggle).not.toHaveAttribute("data-theme", before ?? "");
  }
  await expect(toggle).toHaveAttribute("data-theme", "dark");
  await expect(page.locator("html")).toHaveClass(/\bdark\b/);
  // Saved on the server (the toggle's request done), not only in this browser.
  await expect
    .poll(async () => (await resultOf<{ theme: string }>(page, "me.get", undefined, "query")).theme)
    .toBe("DARK");

  // A new browser (no localStorage), signed in as the same user: the server draws it dark...
  const second = await signedInContext(browser, "REVIEWER");
  expect(await htmlTagOf(second, "/inbox")).toMatch(/class="dark"/);
  // ...so it is dark with no script at all: nothing has to run before the first paint.
  const noScript = await browser.newContext({
    colorScheme: "light",
    javaScriptEnabled: false,
    storageState: await second.storageState(),
  });
  const still = await noScript.newPage();
  await still.goto("/chat");
  await expect(still.locator("html")).toHaveClass(/\bdark\b/);
  // The dark palette's page background (app/globals.css: .dark --color-slate-50).
  expect(await still.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(10, 16, 32)");
  await noScript.close();

  // The cache is only a cache: a stale "LIGHT" in this browser does not beat the server.
  const secondPage = second.pages()[0];
  if (!secondPage) throw new Error("no page");
  const me = await resultOf<{ id: string }>(secondPage, "me.get", undefined, "query");
  await secondPage.evaluate((key) => localStorage.setItem(key, "LIGHT"), `airlock:theme:${me.id}`);
  await secondPage.reload();
  await expect(secondPage.locator("html")).toHaveClass(/\bdark\b/);
  await expect(secondPage.getByTestId("theme-toggle")).toHaveAttribute("data-theme", "dark");

  // Another user on a light device: not dark, from the server's first byte on.
  const other = await signedInContext(browser, "USER");
  expect(await htmlTagOf(other, "/chat")).not.toMatch(/\bdark\b/);
  const otherPage = other.pages()[0];
  if (!otherPage) throw new Error("no page");
  await otherPage.reload();
  await expect(otherPage.locator("html")).not.toHaveClass(/\bdark\b/);
  await expect(otherPage.getByTestId("theme-toggle")).toHaveAttribute("data-theme", "system");

  // Back to the device's setting, for the tests after this one.
  await resultOf(page, "me.setTheme", { theme: "SYSTEM" }, "mutation");
  await Promise.all([first.close(), second.close(), other.close()]);
});
