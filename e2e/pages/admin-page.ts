import { expect, type Page } from "@playwright/test";

/** The admin console: sections, the tool editor, the rule form and the simulator. */
export class AdminPage {
  constructor(readonly page: Page) {}

  async openTool(name: string) {
    await this.page.goto(`/admin/tools?tool=${encodeURIComponent(name)}`);
    await expect(this.page.getByRole("heading", { name, exact: true })).toBeVisible();
    await expect(this.page.getByLabel(`Class for ${name}`)).toBeEnabled();
  }

  classSelect(name: string) {
    return this.page.getByLabel(`Class for ${name}`);
  }

  effectiveClass() {
    return this.page.getByTestId("effective-class");
  }

  async setClass(name: string, riskClass: "" | "READ" | "SENSITIVE_READ" | "DESTRUCTIVE" | "DISABLED") {
    await this.classSelect(name).selectOption(riskClass);
    await this.page.getByRole("button", { name: "Save class" }).click();
  }

  rulesPanel() {
    return this.page.getByTestId("rules-panel");
  }

  ruleRow(description: string) {
    return this.page.getByTestId("rule-row").filter({ hasText: description });
  }

  ruleForm() {
    return this.page.getByTestId("rule-form");
  }

  async simulate(args: unknown, role: "USER" | "REVIEWER" | "ADMIN" = "USER") {
    const simulator = this.page.getByTestId("simulator");
    await simulator.getByLabel("Arguments (JSON)").fill(JSON.stringify(args));
    await simulator.getByLabel("Called by a").selectOption(role);
    await simulator.getByRole("button", { name: "Simulate" }).click();
    return this.page.getByTestId("simulation-result");
  }

  conflict() {
    return this.page.getByTestId("conflict-notice");
  }

  userRow(email: string) {
    return this.page.locator(`[data-testid="user-row"][data-email="${email}"]`);
  }
}

/** tRPC over plain HTTP with a page's session cookies, the way any client could call it. */
export async function callProcedure(
  page: Page,
  path: string,
  input: unknown,
  kind: "query" | "mutation",
): Promise<{ status: number; body: unknown }> {
  const response =
    kind === "query"
      ? await page.request.get(
          input === undefined
            ? `/api/trpc/${path}`
            : `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
        )
      : await page.request.post(`/api/trpc/${path}`, {
          data: { json: input },
          headers: { "content-type": "application/json" },
        });
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { status: response.status(), body };
}

export async function resultOf<T>(page: Page, path: string, input: unknown, kind: "query" | "mutation"): Promise<T> {
  const { status, body } = await callProcedure(page, path, input, kind);
  expect(status, `${path}: ${JSON.stringify(body)}`).toBe(200);
  return (body as { result: { data: { json: T } } }).result.data.json;
}
