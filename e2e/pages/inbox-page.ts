import { expect, type Page } from "@playwright/test";

export class InboxPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto("/inbox");
    await expect(this.page.getByRole("tab", { name: "Pending" })).toBeVisible();
  }

  items() {
    return this.page.getByTestId("inbox-item");
  }

  item(text: string) {
    return this.items().filter({ hasText: text });
  }

  detail() {
    return this.page.getByTestId("request-detail");
  }

  async reject(reason: string) {
    await this.page.getByRole("button", { name: /^Reject…/ }).click();
    await this.page.getByLabel(/Reason for rejecting/).fill(reason);
    await this.page.getByRole("button", { name: "Reject", exact: true }).click();
  }
}
