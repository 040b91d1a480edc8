/**
 * Single sign-on end to end: a real browser goes from Airlock's sign-in page through a
 * real OpenID Provider (oidc-provider, running here on a loopback port) and back through
 * next-auth's OIDC callback (discovery, PKCE, state, code exchange, ID token checks).
 * First sign-in creates a USER; a returning user keeps the role an admin gave them; a
 * deactivated user is refused.
 */
import type { Browser, Page } from "@playwright/test";
import { expect, signedInPage, test } from "./fixtures";
import { emailFor, startOidcProvider } from "./oidc-provider";

const appPort = Number(process.env.E2E_PORT ?? 3100);
let provider: { stop: () => Promise<void> } | undefined;

test.beforeAll(async () => {
  provider = await startOidcProvider(`http://localhost:${appPort}`, appPort);
});
test.afterAll(async () => provider?.stop());

/** Signs in through the provider's own login and consent pages; returns the page where Airlock lands. */
async function signInWithProvider(browser: Browser, login: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/signin");
  await expect(page.locator("form[data-ready=true]")).toBeVisible();
  await page.getByRole("button", { name: "Continue with Local OpenID Provider" }).click();
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${appPort + 1000}/`));
  await page.getByPlaceholder("Enter any login").fill(login);
  await page.getByPlaceholder("and password").fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  const consent = page.getByRole("button", { name: "Continue" });
  await expect(
    consent.or(page.getByTestId("role-badge")).or(page.getByRole("heading", { name: "Sign in to Airlock" })),
  ).toBeVisible();
  if (await consent.isVisible()) await consent.click();
  return page;
}

async function adminUserRow(admin: Page, email: string) {
  const response = await admin.request.get(
    `/api/trpc/admin.users.list?input=${encodeURIComponent(JSON.stringify({ json: { search: email } }))}`,
  );
  expect(response.status()).toBe(200);
  const users = (await response.json()).result.data.json.users as { id: string; email: string; version: number }[];
  const user = users.find((candidate) => candidate.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user;
}

async function adminMutation(admin: Page, path: string, input: unknown) {
  const response = await admin.request.post(`/api/trpc/${path}`, {
    data: { json: input },
    headers: { "content-type": "application/json" },
  });
  expect(response.status()).toBe(200);
}

test.describe("single sign-on through a real OpenID Provider", () => {
  test("first sign-in creates a USER; a returning user keeps their role; a deactivated user is refused", async ({
    browser,
  }) => {
    const login = `sso-${Date.now()}`;
    const email = emailFor(login);

    const first = await signInWithProvider(browser, login);
    await expect(first).toHaveURL(/\/chat/);
    await expect(first.getByTestId("role-badge")).toHaveText("USER");
    expect((await first.request.get("/api/trpc/conversation.list")).status()).toBe(200);
    await first.context().close();

    const admin = await signedInPage(browser, "ADMIN");
    const created = await adminUserRow(admin, email);
    await adminMutation(admin, "admin.users.changeRole", {
      userId: created.id,
      role: "REVIEWER",
      expectedVersion: created.version,
    });

    const returning = await signInWithProvider(browser, login);
    await expect(returning).toHaveURL(/\/chat/);
    await expect(returning.getByTestId("role-badge")).toHaveText("REVIEWER");
    await expect(returning.getByRole("link", { name: "Inbox" })).toBeVisible();

    const promoted = await adminUserRow(admin, email);
    await adminMutation(admin, "admin.users.setActive", {
      userId: promoted.id,
      active: false,
      expectedVersion: promoted.version,
    });
    // The open session ends at once, and signing in again through the provider is refused.
    await returning.goto("/chat");
    await expect(returning).toHaveURL(/\/signin/);
    await returning.context().close();
    const refused = await signInWithProvider(browser, login);
    await expect(refused).toHaveURL(/\/signin\?error=Inactive/);
    await expect(refused.locator("form").getByRole("alert")).toHaveText("Your account is deactivated. Ask an admin.");
    expect((await refused.request.get("/api/trpc/conversation.list")).status()).toBe(401);
    await refused.context().close();
    await admin.context().close();
  });
});
