import { expect, screenshot, signedInPage, test, USERS } from "./fixtures";

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
});
