import { expect, type Page } from "@playwright/test";

export class ChatPage {
  constructor(readonly page: Page) {}

  composer() {
    return this.page.getByLabel("Message");
  }

  modelPicker() {
    return this.page.getByRole("combobox", { name: "Model" });
  }

  /** Typing before React hydrates the page would be lost. */
  async ready() {
    await expect(this.page.locator("form[data-ready=true]")).toBeVisible();
  }

  async send(text: string) {
    await this.ready();
    await this.composer().fill(text);
    await this.page.getByRole("button", { name: "Send" }).click();
  }

  lastAssistant() {
    return this.page.getByTestId("assistant-message").last();
  }

  stopButton() {
    return this.page.getByRole("button", { name: "Stop" });
  }

  async waitForConversationUrl(): Promise<string> {
    await expect(this.page).toHaveURL(/\/chat\/[a-z0-9]+$/);
    return this.page.url();
  }

  async waitForAnswerDone() {
    await expect(this.lastAssistant()).toHaveAttribute("data-status", /COMPLETED|FAILED|CANCELLED/, {
      timeout: 30_000,
    });
    await expect(this.page.getByRole("button", { name: "Send" })).toBeVisible({ timeout: 30_000 });
  }
}
