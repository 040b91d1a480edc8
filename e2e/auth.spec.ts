import type { Browser, Page } from "@playwright/test";
import { expect, screenshot, signedInPage, test, USERS } from "./fixtures";
import { SignInPage } from "./pages/sign-in-page";

/** A fresh account (so ending its sessions disturbs no other test), invited by the demo admin over HTTP. */
async function inviteAccount(browser: Browser, name: string) {
  const admin = await signedInPage(browser, "ADMIN");
  const email = `${name}-${Date.now()}@airlock.local`;
  const password = `${name}-temporary-1`;
  const response = await admin.request.post("/api/trpc/admin.users.create", {
    data: { json: { email, name, role: "USER", temporaryPassword: password } },
    headers: { "content-type": "application/json" },
  });
  expect(response.status()).toBe(200);
  await admin.context().close();
  return { email, password };
}

async function signedInAs(browser: Browser, account: { email: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await new SignInPage(page).signIn(account.email, account.password);
  await expect(page).toHaveURL(/\/chat/);
  return page;
}

async function expectSignedOut(page: Page) {
  await page.goto("/chat");
  await expect(page).toHaveURL(/\/signin/);
  expect((await page.request.get("/api/trpc/conversation.list")).status()).toBe(401);
  // next-auth's own session endpoint agrees (the client's useSession reads it).
  expect(await (await page.request.get("/api/auth/session")).json()).toEqual({});
}

test.describe("sign-in and roles", () => {
  for (const role of ["USER", "REVIEWER", "ADMIN"] as const) {
    test(`${role} signs in and sees the navigation of their role`, async ({ browser }) => {
      const page = await signedInPage(browser, role);
      await expect(page.getByTestId("role-badge")).toHaveText(role);
      await expect(page.getByRole("link", { name: "Inbox" })).toHaveCount(role === "USER" ? 0 : 1);
      await expect(page.getByRole("link", { name: "Admin" })).toHaveCount(role === "ADMIN" ? 1 : 0);
      if (role === "ADMIN") {
        await page.getByRole("link", { name: "Admin" }).click();
        await expect(page.getByRole("heading", { name: "Models" })).toBeVisible();
        await page.getByRole("button", { name: "Verify now" }).click();
        await expect(page.getByRole("status")).toContainText("Intact");
        await screenshot(page, "admin");
      }
      if (role === "REVIEWER") {
        await page.getByRole("link", { name: "Inbox" }).click();
        await expect(page.getByRole("tab", { name: "Pending" })).toBeVisible();
        await screenshot(page, "inbox");
      }
      await page.context().close();
    });
  }

  test("a wrong password is refused with a clear message", async ({ signIn, page }) => {
    await signIn.signIn(USERS.USER.email, "not-the-password");
    await expect(signIn.error()).toHaveText("Wrong email or password.");
    await expect(page).toHaveURL(/\/signin/);
    await screenshot(page, "signin-error");
  });

  test("repeated failures are rate-limited", async ({ signIn }) => {
    await signIn.open();
    for (let attempt = 0; attempt < 5; attempt++) {
      await signIn.fill("intruder@airlock.local", `guess-${attempt}`);
      await signIn.page.getByRole("button", { name: "Sign in", exact: true }).click();
      await expect(signIn.error()).toHaveText("Wrong email or password.");
    }
    await signIn.fill("intruder@airlock.local", "guess-final");
    await signIn.page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(signIn.error()).toContainText("Too many failed sign-ins");
  });

  test("signed-out visitors are sent to sign in", async ({ page }) => {
    await page.goto("/chat");
    await expect(page).toHaveURL(/\/signin/);
    await screenshot(page, "signin");
    const response = await page.request.get("/api/trpc/conversation.list");
    expect(response.status()).toBe(401);
  });

  test("a USER is refused reviewer and admin pages and procedures, also over HTTP", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    for (const path of ["/inbox", "/admin"]) {
      const response = await page.goto(path);
      expect(response?.status()).toBe(403);
      await expect(page.getByText("This page is not for your role")).toBeVisible();
    }
    await screenshot(page, "forbidden");
    const overview = await page.request.get("/api/trpc/admin.overview");
    expect(overview.status()).toBe(403);
    const verify = await page.request.post("/api/trpc/admin.verifyAudit", {
      data: {},
      headers: { "content-type": "application/json" },
    });
    expect(verify.status()).toBe(403);
    await page.context().close();
  });

  test("cross-site state-changing requests are refused", async ({ browser }) => {
    const page = await signedInPage(browser, "USER");
    const response = await page.request.post("/api/trpc/conversation.create", {
      data: {},
      headers: { origin: "https://evil.example", "content-type": "application/json" },
    });
    expect(response.status()).toBe(403);
    await page.context().close();
  });

  test("sign out everywhere ends the sessions in every browser, after a confirmation", async ({ browser }) => {
    const account = await inviteAccount(browser, "everywhere");
    const [here, there] = [await signedInAs(browser, account), await signedInAs(browser, account)];
    await here.goto("/account/password");
    await here.getByRole("button", { name: "Sign out everywhere" }).click();
    const dialog = here.getByRole("dialog", { name: "Sign out everywhere?" });
    await expect(dialog).toContainText("including this one");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toHaveCount(0);
    expect((await there.request.get("/api/trpc/conversation.list")).status()).toBe(200);

    await here.getByRole("button", { name: "Sign out everywhere" }).click();
    await here.getByRole("button", { name: "Yes, sign out everywhere" }).click();
    await expect(here).toHaveURL(/\/signin/);
    await expect(here.getByRole("status")).toHaveText("You were signed out everywhere. Sign in again to continue.");
    await screenshot(here, "signed-out-everywhere");
    await expectSignedOut(there);
    await expectSignedOut(here);
    // Signing in again works.
    await here.context().close();
    const again = await signedInAs(browser, account);
    expect((await again.request.get("/api/trpc/conversation.list")).status()).toBe(200);
    await again.context().close();
    await there.context().close();
  });

  test("changing the password signs out the other browsers and keeps this one", async ({ browser }) => {
    const account = await inviteAccount(browser, "rotating");
    const [here, there] = [await signedInAs(browser, account), await signedInAs(browser, account)];
    await here.goto("/account/password");
    await here.getByLabel("Current password").fill(account.password);
    await here.getByLabel("New password", { exact: true }).fill("rotated-long-password");
    await here.getByLabel("New password again").fill("rotated-long-password");
    await here.getByRole("button", { name: "Save password" }).click();
    await expect(here.getByText("Your password is changed")).toBeVisible();
    await expectSignedOut(there);
    await here.goto("/chat");
    await expect(here).toHaveURL(/\/chat/);
    expect((await here.request.get("/api/trpc/conversation.list")).status()).toBe(200);
    await here.context().close();
    await there.context().close();
  });
});
