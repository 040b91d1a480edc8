import { type Browser, test as base, expect, type Page } from "@playwright/test";
import { ChatPage } from "./pages/chat-page";
import { SignInPage } from "./pages/sign-in-page";

export const USERS = {
  USER: { email: "user@airlock.local", password: "airlock-user", name: "Uma User" },
  REVIEWER: { email: "reviewer@airlock.local", password: "airlock-reviewer", name: "Rita Reviewer" },
  ADMIN: { email: "admin@airlock.local", password: "airlock-admin", name: "Adam Admin" },
} as const;

export type RoleName = keyof typeof USERS;

export async function signedInPage(browser: Browser, role: RoleName): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await new SignInPage(page).signIn(USERS[role].email, USERS[role].password);
  await expect(page).toHaveURL(/\/chat/);
  return page;
}

export const test = base.extend<{ chat: ChatPage; signIn: SignInPage }>({
  chat: async ({ page }, use) => use(new ChatPage(page)),
  signIn: async ({ page }, use) => use(new SignInPage(page)),
});

export { expect };

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: `e2e/screenshots/${name}.png`, fullPage: false });
}
