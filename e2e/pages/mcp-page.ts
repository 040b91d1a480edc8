import { expect, type Page } from "@playwright/test";

/** The admin console's MCP servers page: register a stdio server, its status, its tools. */
export class McpPage {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto("/admin/mcp");
    await expect(this.page.getByRole("heading", { name: "MCP servers" })).toBeVisible();
  }

  async registerStdio(options: { name: string; command: string; args: string[]; env?: Record<string, string> }) {
    await this.page.getByRole("button", { name: "Register server" }).click();
    const form = this.page.getByTestId("mcp-server-form");
    await form.getByLabel("Name (the tools' namespace)").fill(options.name);
    await form.getByLabel("Command", { exact: true }).fill(options.command);
    await form.getByLabel("Arguments (one per line)").fill(options.args.join("\n"));
    for (const [index, [name, value]] of Object.entries(options.env ?? {}).entries()) {
      await form.getByRole("button", { name: "Add environment variable" }).click();
      await form.getByLabel(`Environment variables ${index + 1} name`).fill(name);
      await form.getByLabel(`Environment variables ${index + 1} value`).fill(value);
    }
    await form.getByRole("button", { name: "Register server" }).click();
    await expect(form).toBeHidden();
  }

  server(name: string) {
    return this.page
      .getByTestId("mcp-server")
      .filter({ has: this.page.getByTestId("mcp-server-name").getByText(name, { exact: true }) });
  }

  tool(name: string) {
    return this.page.locator(`[data-testid="mcp-tool"][data-tool="${name}"]`);
  }

  /** The field that asks for the tool's name when READ is chosen. */
  typedConfirmation(name: string) {
    return this.tool(name).getByLabel(/runs with no human approval\. Type .* to confirm\./);
  }

  /** Picks the class and confirms it; READ is then typed out, as the console asks. */
  async confirmClass(name: string, riskClass: "READ" | "SENSITIVE_READ" | "DESTRUCTIVE" | "DISABLED") {
    await this.page.getByLabel(`Class for ${name}`).selectOption(riskClass);
    await this.tool(name)
      .getByRole("button", { name: /Confirm class|Change class/ })
      .click();
    if (riskClass === "READ") {
      await this.typedConfirmation(name).fill(name);
      await this.tool(name).getByRole("button", { name: "Confirm READ" }).click();
    }
    await expect(this.tool(name)).toHaveAttribute("data-confirmation", "confirmed");
  }
}
