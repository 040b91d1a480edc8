import { expect, type Page } from "@playwright/test";

export class SignInPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto("/signin");
    await expect(this.page.getByRole("heading", { name: "Sign in to Airlock" })).toBeVisible();
    await expect(this.page.locator("form[data-ready=true]")).toBeVisible();
  }

  async fill(email: string, password: string) {
    await this.page.getByLabel("Email").fill(email);
    await this.page.getByLabel("Password").fill(password);
  }

  async signIn(email: string, password: string) {
    await this.open();
    await this.fill(email, password);
    await this.page.getByRole("button", { name: "Sign in", exact: true }).click();
  }

  error() {
    return this.page.locator("form").getByRole("alert");
  }
}
