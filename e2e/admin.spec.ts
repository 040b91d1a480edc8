/**
 * The admin console end to end, on the demo model. Specs share one app and database, so
 * every test puts the policy back the way it found it (other specs expect the defaults).
 */
import type { Page } from "@playwright/test";
import { expect, screenshot, signedInPage, test, USERS } from "./fixtures";
import { AdminPage, callProcedure, resultOf } from "./pages/admin-page";
import { ChatPage } from "./pages/chat-page";
import { InboxPage } from "./pages/inbox-page";
import { SignInPage } from "./pages/sign-in-page";

interface PendingItem {
  id: string;
  toolName: string;
  args: Record<string, unknown>;
  status: string;
}

/** Rejects the pending requests of a tool whose arguments match, as a reviewer would. */
async function rejectPending(reviewer: Page, toolName: string, matches: (args: Record<string, unknown>) => boolean) {
  await expect(async () => {
    const items = await resultOf<PendingItem[]>(
      reviewer,
      "approvals.list",
      { statuses: ["PENDING"], toolName, limit: 50 },
      "query",
    );
    const mine = items.filter((item) => matches(item.args));
    expect(mine.length).toBeGreaterThan(0);
    for (const item of mine) {
      await resultOf(
        reviewer,
        "approvals.decide",
        { requestId: item.id, verdict: "reject", reason: "e2e clean-up: policy restored" },
        "mutation",
      );
    }
  }).toPass({ timeout: 20_000 });
}

test.describe("admin console", () => {
  test("an admin changes a tool from READ to DESTRUCTIVE and the user's next call waits for approval", async ({
    browser,
  }) => {
    const adminPage = await signedInPage(browser, "ADMIN");
    const user = await signedInPage(browser, "USER");
    const admin = new AdminPage(adminPage);
    await admin.openTool("list_files");
    await expect(admin.effectiveClass()).toContainText("Read");
    await screenshot(adminPage, "admin-tools");

    await admin.setClass("list_files", "DESTRUCTIVE");
    await expect(adminPage.getByRole("status").filter({ hasText: "list_files is now DESTRUCTIVE" })).toBeVisible();
    await expect(admin.effectiveClass()).toContainText("Destructive");

    // No restart: the user's very next call is gated.
    const chat = new ChatPage(user);
    await chat.send("list the files");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "list_files" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");
    await expect(card).toContainText("Waiting for a reviewer");

    // Put everything back: the request is refused, the class is the default again.
    await rejectPending(adminPage, "list_files", (args) => args.path === ".");
    await expect(card).toHaveAttribute("data-status", "REFUSED", { timeout: 20_000 });
    await admin.setClass("list_files", "");
    await expect(adminPage.getByRole("status").filter({ hasText: "back to its default class" })).toBeVisible();
    await expect(admin.effectiveClass()).toContainText("Read");
    const result = await admin.simulate({ path: "." });
    await expect(result).toContainText("ALLOW");
    await adminPage.context().close();
    await user.context().close();
  });

  test("an admin adds the rule 'shell rm needs 2 approvals' with a form that validates as they type, and it holds", async ({
    browser,
  }) => {
    const adminPage = await signedInPage(browser, "ADMIN");
    const user = await signedInPage(browser, "USER");
    const reviewer = await signedInPage(browser, "REVIEWER");
    const admin = new AdminPage(adminPage);
    await admin.openTool("run_shell");
    await admin.rulesPanel().getByRole("button", { name: "Add rule" }).click();
    const form = admin.ruleForm();
    await expect(form).toBeVisible();

    // Validation as you type, field by field.
    await form.getByLabel("Description").fill("x");
    await form.getByLabel("Description").fill("");
    await expect(form.getByText("Describe the rule")).toBeVisible();
    await form.getByLabel("Description").fill("shell rm needs 2 approvals");
    await expect(form.getByText("Describe the rule")).toHaveCount(0);
    await form.getByRole("button", { name: "Add condition" }).click();
    await form.getByLabel("Condition 1 path").fill("command");
    await expect(form.getByText("Use args.<name>, facts.<name> or actor.role")).toBeVisible();
    await form.getByLabel("Condition 1 path").fill("facts.commands");
    await expect(form.getByText("Use args.<name>, facts.<name> or actor.role")).toHaveCount(0);
    await form.getByLabel("Condition 1 operator").selectOption("regex");
    await form.getByLabel("Condition 1 value").fill("rm(");
    await expect(form.getByText(/Invalid regular expression/)).toBeVisible();
    await form.getByLabel("Condition 1 operator").selectOption("equals");
    await form.getByLabel("Condition 1 value").fill("rm");
    await expect(form.getByText(/Invalid regular expression/)).toHaveCount(0);
    await form.getByLabel("Required approvals").fill("0");
    await expect(form.getByText("At least 1")).toBeVisible();
    await form.getByLabel("Required approvals").fill("2");
    await expect(form.getByText("At least 1")).toHaveCount(0);
    await expect(form.getByTestId("rule-preview")).toHaveText(
      "When run_shell is called and facts.commands equals rm: 2 approvals.",
    );
    await screenshot(adminPage, "admin-rule-form");
    await form.getByRole("button", { name: "Add rule" }).click();
    await expect(form).toBeHidden();
    await expect(admin.ruleRow("shell rm needs 2 approvals")).toContainText("facts.commands equals rm");

    // The simulator shows what the policy would do, with its reasons.
    const result = await admin.simulate({ command: "rm -rf tmp" });
    await expect(result).toContainText("REQUIRE_APPROVAL");
    await expect(result).toContainText("2 approvals");
    await expect(result.getByTestId("simulation-reasons")).toContainText('rule "shell rm needs 2 approvals" applies');
    await expect(result).toContainText('facts.command = "rm"');
    await adminPage.getByTestId("simulator").evaluate((element) => element.scrollIntoView({ block: "end" }));
    await screenshot(adminPage, "admin-simulator");
    const ls = await admin.simulate({ command: "ls -la" });
    await expect(ls).toContainText("ALLOW");

    // It holds: one approval is not enough.
    const chat = new ChatPage(user);
    await chat.send("run rm -rf tmp");
    await chat.waitForConversationUrl();
    const card = user.getByTestId("tool-call").filter({ hasText: "run_shell" });
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");
    const inbox = new InboxPage(reviewer);
    await inbox.open();
    await inbox.item("rm -rf tmp").first().click();
    await expect(inbox.detail()).toContainText("Approvals: 0 of 2");
    await expect(inbox.detail()).toContainText("shell rm needs 2 approvals");
    await reviewer.keyboard.press("a");
    await expect(inbox.detail()).toContainText("Approvals: 1 of 2");
    await expect(inbox.detail()).toHaveAttribute("data-status", "PENDING");
    await expect(card).toHaveAttribute("data-status", "AWAITING_APPROVAL");

    // Clean up: refuse the call, delete the rule.
    await rejectPending(adminPage, "run_shell", (args) => args.command === "rm -rf tmp");
    await expect(card).toHaveAttribute("data-status", "REFUSED", { timeout: 20_000 });
    await admin.ruleRow("shell rm needs 2 approvals").getByRole("button", { name: "Delete" }).click();
    await adminPage.getByRole("dialog").getByRole("button", { name: "Delete rule" }).click();
    await expect(admin.ruleRow("shell rm needs 2 approvals")).toHaveCount(0);
    await expect(adminPage.getByText("No rules for run_shell")).toBeVisible();
    for (const page of [adminPage, user, reviewer]) await page.context().close();
  });

  test("a REVIEWER and a USER are refused every admin page and procedure, also over direct HTTP", async ({
    browser,
  }) => {
    const pages = [
      "/admin",
      "/admin/tools",
      "/admin/users",
      "/admin/models",
      "/admin/settings",
      "/admin/audit",
      "/admin/secrets",
    ];
    const procedures: [string, unknown, "query" | "mutation"][] = [
      ["admin.overview", undefined, "query"],
      ["admin.tools.list", undefined, "query"],
      ["admin.rules.list", undefined, "query"],
      ["admin.users.list", {}, "query"],
      ["admin.models.get", undefined, "query"],
      ["admin.settings.get", undefined, "query"],
      ["admin.audit.list", { limit: 5 }, "query"],
      ["admin.audit.vocabulary", undefined, "query"],
      ["admin.secrets.list", undefined, "query"],
      ["admin.verifyAudit", undefined, "mutation"],
      ["admin.audit.verify", undefined, "mutation"],
      ["admin.tools.setClass", { toolName: "list_files", riskClass: "DISABLED", expectedVersion: 0 }, "mutation"],
      ["admin.tools.simulate", { toolName: "list_files", args: { path: "." } }, "mutation"],
      [
        "admin.rules.create",
        { toolName: "*", description: "deny all", conditions: [], effect: { decision: "DENY" }, enabled: true },
        "mutation",
      ],
      [
        "admin.rules.update",
        {
          id: "x",
          expectedVersion: 1,
          rule: { toolName: "*", description: "d", conditions: [], effect: { decision: "DENY" } },
        },
        "mutation",
      ],
      ["admin.rules.delete", { id: "x", expectedVersion: 1 }, "mutation"],
      ["admin.rules.reorder", { orderedIds: [], expectedPolicyVersion: 1 }, "mutation"],
      [
        "admin.users.create",
        { email: "sneaky@airlock.local", name: "Sneaky", role: "ADMIN", temporaryPassword: "sneaky-password-1" },
        "mutation",
      ],
      ["admin.users.setActive", { userId: "x", active: false, expectedVersion: 1 }, "mutation"],
      [
        "admin.users.resetPassword",
        { userId: "x", temporaryPassword: "sneaky-password-1", expectedVersion: 1 },
        "mutation",
      ],
      [
        "admin.models.saveProvider",
        {
          provider: "compatible",
          expectedVersion: 0,
          enabled: true,
          baseUrl: "http://evil.example/v1",
          apiKey: { action: "keep" },
          models: [],
        },
        "mutation",
      ],
      ["admin.models.removeProvider", { provider: "compatible", expectedVersion: 1 }, "mutation"],
      ["admin.models.setDefault", { modelId: "demo", expectedVersion: 1 }, "mutation"],
      ["admin.models.testConnection", { provider: "compatible" }, "mutation"],
      [
        "admin.settings.update",
        {
          expectedVersion: 1,
          defaultRequiredApprovals: 1,
          defaultExpiryMinutes: 60,
          sensitiveReadsNeedApproval: false,
          destructiveAutoRunConfirmed: false,
        },
        "mutation",
      ],
      ["admin.secrets.set", { name: "STOLEN", value: "x" }, "mutation"],
      ["admin.secrets.delete", { name: "STRIPE_KEY" }, "mutation"],
    ];
    for (const role of ["USER", "REVIEWER"] as const) {
      const page = await signedInPage(browser, role);
      for (const path of pages) {
        const response = await page.goto(path);
        expect(response?.status(), `${path} as ${role}`).toBe(403);
        await expect(page.getByText("This page is not for your role")).toBeVisible();
        await expect(page.getByRole("navigation", { name: "Admin" })).toHaveCount(0);
      }
      for (const [path, input, kind] of procedures) {
        expect((await callProcedure(page, path, input, kind)).status, `${path} as ${role}`).toBe(403);
      }
      // Nobody raises their own role, not even through the API.
      const me = await resultOf<{ id: string }>(page, "me.get", undefined, "query");
      expect(
        (
          await callProcedure(
            page,
            "admin.users.changeRole",
            { userId: me.id, role: "ADMIN", expectedVersion: 1 },
            "mutation",
          )
        ).status,
      ).toBe(403);
      expect((await resultOf<{ role: string }>(page, "me.get", undefined, "query")).role).toBe(role);
      await page.context().close();
    }
    const anonymous = await browser.newContext();
    const anonymousPage = await anonymous.newPage();
    expect((await callProcedure(anonymousPage, "admin.tools.list", undefined, "query")).status).toBe(401);
    await anonymousPage.goto("/admin/tools");
    await expect(anonymousPage).toHaveURL(/\/signin/);
    await anonymous.close();
  });

  test("last-admin protection: another admin can be demoted, the last one cannot demote or deactivate themself", async ({
    browser,
  }) => {
    const page = await signedInPage(browser, "ADMIN");
    const admin = new AdminPage(page);
    await page.goto("/admin/users");
    await expect(page.getByRole("heading", { name: "Users" })).toBeVisible();
    await expect(admin.userRow(USERS.ADMIN.email)).toBeVisible();
    await screenshot(page, "admin-users");

    // A second admin, invited with a temporary password.
    const email = `second.admin.${Date.now()}@airlock.local`;
    await page.getByRole("button", { name: "Invite user" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill("not-an-email");
    await expect(dialog.getByText("Enter an email address such as name@example.com")).toBeVisible();
    await dialog.getByLabel("Email").fill(email);
    await dialog.getByLabel("Name").fill("Second Admin");
    await dialog.getByLabel("Role").selectOption("ADMIN");
    await dialog.getByLabel("Temporary password").fill("short");
    await expect(dialog.getByText("At least 12 characters")).toBeVisible();
    await dialog.getByRole("button", { name: "Generate" }).click();
    await screenshot(page, "admin-users-invite");
    await dialog.getByRole("button", { name: "Invite", exact: true }).click();
    await expect(page.getByText(`Invited ${email}`)).toBeVisible();
    await expect(admin.userRow(email)).toContainText("temporary password");

    // With two admins, one may be demoted…
    await page.getByLabel(`Role of ${email}`).selectOption("REVIEWER");
    await expect(page.getByLabel(`Role of ${email}`)).toHaveValue("REVIEWER");
    // …but now the demo admin is the last one: neither demotion nor deactivation.
    await page.getByLabel(`Role of ${USERS.ADMIN.email}`).selectOption("REVIEWER");
    await expect(page.getByTestId("error-notice")).toContainText("This is the last active admin");
    await expect(page.getByLabel(`Role of ${USERS.ADMIN.email}`)).toHaveValue("ADMIN");
    await screenshot(page, "admin-users-last-admin");
    await expect(admin.userRow(USERS.ADMIN.email).getByRole("button", { name: "Deactivate" })).toBeDisabled();
    const me = await resultOf<{ id: string }>(page, "me.get", undefined, "query");
    const list = await resultOf<{ users: { id: string; version: number }[] }>(
      page,
      "admin.users.list",
      { search: USERS.ADMIN.email },
      "query",
    );
    const version = list.users.find((user) => user.id === me.id)?.version ?? 1;
    expect(
      (
        await callProcedure(
          page,
          "admin.users.changeRole",
          { userId: me.id, role: "USER", expectedVersion: version },
          "mutation",
        )
      ).status,
    ).toBe(409);
    expect(
      (
        await callProcedure(
          page,
          "admin.users.setActive",
          { userId: me.id, active: false, expectedVersion: version },
          "mutation",
        )
      ).status,
    ).toBe(403);
    expect((await resultOf<{ role: string }>(page, "me.get", undefined, "query")).role).toBe("ADMIN");

    // The invited person signs in with the temporary password and is asked to choose their own.
    const invitedPassword = await page.getByTestId("temporary-password").textContent();
    const invited = await browser.newContext();
    const invitedPage = await invited.newPage();
    await new SignInPage(invitedPage).signIn(email, invitedPassword ?? "");
    await expect(invitedPage).toHaveURL(/\/chat/);
    await expect(invitedPage.getByTestId("temporary-password-banner")).toBeVisible();
    await invitedPage.getByRole("link", { name: "Choose a password" }).click();
    await invitedPage.getByLabel("Current password").fill(invitedPassword ?? "");
    await invitedPage.getByLabel("New password", { exact: true }).fill("my-own-long-password");
    await invitedPage.getByLabel("New password again").fill("my-own-long-passwor");
    await expect(invitedPage.getByText("The two new passwords differ")).toBeVisible();
    await invitedPage.getByLabel("New password again").fill("my-own-long-password");
    await invitedPage.getByRole("button", { name: "Save password" }).click();
    await expect(invitedPage.getByText("Your password is changed")).toBeVisible();
    await invitedPage.goto("/chat");
    await expect(invitedPage.getByTestId("temporary-password-banner")).toHaveCount(0);
    await invited.close();

    // The row changed since this page loaded it (the person chose a password): a clear conflict, then a reload.
    await admin.userRow(email).getByRole("button", { name: "Deactivate" }).click();
    await expect(admin.conflict()).toContainText("This user was changed by someone else");
    await admin.conflict().getByRole("button", { name: "Reload" }).click();
    await expect(admin.userRow(email)).not.toContainText("temporary password");
    // Tidy up: the invited account is deactivated.
    await admin.userRow(email).getByRole("button", { name: "Deactivate" }).click();
    await expect(admin.userRow(email)).toContainText("Deactivated");
    await page.context().close();
  });

  test("two admins edit the same tool: the second gets a clear conflict and can reload, not a silent overwrite", async ({
    browser,
  }) => {
    const first = new AdminPage(await signedInPage(browser, "ADMIN"));
    const second = new AdminPage(await signedInPage(browser, "ADMIN"));
    await first.openTool("search_files");
    await second.openTool("search_files");

    await first.setClass("search_files", "DESTRUCTIVE");
    await expect(first.effectiveClass()).toContainText("Destructive");
    // The second admin still sees READ and tries to disable it.
    await expect(second.effectiveClass()).toContainText("Read");
    await second.setClass("search_files", "DISABLED");
    await expect(second.conflict()).toContainText("Changed by someone else");
    await expect(second.conflict()).toContainText("search_files was changed by someone else");
    await screenshot(second.page, "admin-conflict");
    await second.conflict().getByRole("button", { name: "Reload" }).click();
    await expect(second.effectiveClass()).toContainText("Destructive");
    await expect(second.classSelect("search_files")).toHaveValue("DESTRUCTIVE");
    await expect(second.conflict()).toHaveCount(0);

    // Nothing was overwritten; the second admin now restores the default knowingly.
    await second.setClass("search_files", "");
    await expect(second.effectiveClass()).toContainText("Read");
    await first.page.context().close();
    await second.page.context().close();
  });

  test("a rule that lets destructive calls run with less review asks for the tool's name, and is audited as confirmed", async ({
    browser,
  }) => {
    const adminPage = await signedInPage(browser, "ADMIN");
    const admin = new AdminPage(adminPage);
    await admin.openTool("delete_file");
    await admin.rulesPanel().getByRole("button", { name: "Add rule" }).click();
    const form = admin.ruleForm();
    await form.getByLabel("Description").fill("deletes under tmp/ are reads");
    await form.getByRole("button", { name: "Add condition" }).click();
    await form.getByLabel("Condition 1 path").fill("args.path");
    await form.getByLabel("Condition 1 operator").selectOption("glob");
    await form.getByLabel("Condition 1 value").fill("tmp/**");
    await form.getByLabel("Risk class").selectOption("READ");
    await form.getByRole("button", { name: "Add rule" }).click();

    // The server refuses it without the confirmation; the form asks for it.
    const dialog = adminPage.getByRole("dialog", { name: "Let calls run with less review?" });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("type delete_file to confirm");
    const confirm = dialog.getByRole("button", { name: "Add rule" });
    await dialog.getByRole("textbox").fill("delete file");
    await expect(confirm).toBeDisabled();
    await dialog.getByRole("textbox").fill("delete_file");
    await screenshot(adminPage, "admin-rule-lowering-confirm");
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(form).toBeHidden();
    await expect(admin.ruleRow("deletes under tmp/ are reads")).toBeVisible();
    const audits = await resultOf<{ events: { data: { confirmed?: boolean } }[] }>(
      adminPage,
      "admin.audit.list",
      { action: "policy.rule-created", limit: 1 },
      "query",
    );
    expect(audits.events[0]?.data.confirmed).toBe(true);

    // Clean up: other specs expect destructive calls to wait.
    await admin.ruleRow("deletes under tmp/ are reads").getByRole("button", { name: "Delete", exact: true }).click();
    await adminPage.getByRole("dialog").getByRole("button", { name: "Delete rule" }).click();
    await expect(admin.ruleRow("deletes under tmp/ are reads")).toHaveCount(0);
    await adminPage.context().close();
  });

  test("a rule allowing run_shell network access asks for the typed confirmation, and is audited as confirmed", async ({
    browser,
  }) => {
    const adminPage = await signedInPage(browser, "ADMIN");
    const admin = new AdminPage(adminPage);
    await admin.openTool("run_shell");
    await admin.rulesPanel().getByRole("button", { name: "Add rule" }).click();
    const form = admin.ruleForm();
    await form.getByLabel("Description").fill("curl may reach the network");
    await form.getByRole("button", { name: "Add condition" }).click();
    await form.getByLabel("Condition 1 path").fill("facts.command");
    await form.getByLabel("Condition 1 value").fill("curl");
    await form.getByLabel("Allow network access (run_shell)").check();
    await expect(form.getByTestId("rule-preview")).toHaveText(
      "When run_shell is called and facts.command equals curl: network allowed.",
    );
    await form.getByRole("button", { name: "Add rule" }).click();

    const dialog = adminPage.getByRole("dialog", { name: "Let these calls use the network?" });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("with network access");
    await expect(dialog).toContainText("type run_shell to confirm");
    const confirm = dialog.getByRole("button", { name: "Add rule" });
    await dialog.getByRole("textbox").fill("run shell");
    await expect(confirm).toBeDisabled();
    await dialog.getByRole("textbox").fill("run_shell");
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(form).toBeHidden();
    await expect(admin.ruleRow("curl may reach the network")).toContainText("network allowed");
    const audits = await resultOf<{ events: { data: { confirmed?: boolean; rule?: { effect?: object } } }[] }>(
      adminPage,
      "admin.audit.list",
      { action: "policy.rule-created", limit: 1 },
      "query",
    );
    expect(audits.events[0]?.data.confirmed).toBe(true);
    expect(audits.events[0]?.data.rule?.effect).toEqual({ network: true, confirmedLowering: true });

    // Clean up: other specs expect shell commands without network.
    await admin.ruleRow("curl may reach the network").getByRole("button", { name: "Delete", exact: true }).click();
    await adminPage.getByRole("dialog").getByRole("button", { name: "Delete rule" }).click();
    await expect(admin.ruleRow("curl may reach the network")).toHaveCount(0);
    await adminPage.context().close();
  });

  test("approval settings: destructive auto-run needs the typed phrase, and it is audited", async ({ browser }) => {
    const page = await signedInPage(browser, "ADMIN");
    await page.goto("/admin/settings");
    await expect(page.getByRole("heading", { name: "Approval settings" })).toBeVisible();
    await page.getByLabel("Required approvals").fill("0");
    await expect(page.getByText("At least 1: an approval needs someone to give it")).toBeVisible();
    await page.getByLabel("Required approvals").fill("1");
    await screenshot(page, "admin-settings");

    await page.getByLabel("Let rules with the decision ALLOW run destructive calls without a reviewer").check();
    await page.getByRole("button", { name: "Save settings" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText("Let destructive actions run without approval?");
    const confirm = dialog.getByRole("button", { name: "Allow auto-run" });
    await dialog.getByRole("textbox").fill("yes");
    await expect(confirm).toBeDisabled();
    await dialog.getByRole("textbox").fill("let destructive actions run without approval");
    await screenshot(page, "admin-settings-confirm");
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Saved. The next call is decided with these settings.")).toBeVisible();

    // Restore the default right away: other specs expect destructive calls to wait.
    await page.getByLabel("Let rules with the decision ALLOW run destructive calls without a reviewer").uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Saved. The next call is decided with these settings.")).toBeVisible();
    const settings = await resultOf<{ destructiveAutoRunConfirmed: boolean }>(
      page,
      "admin.settings.get",
      undefined,
      "query",
    );
    expect(settings.destructiveAutoRunConfirmed).toBe(false);

    // The audit log shows the typed confirmation, and the chain verifies.
    await page.goto("/admin/audit");
    await page.getByLabel("Action", { exact: true }).selectOption("policy.settings-changed");
    const rows = page.getByTestId("audit-row");
    await expect(rows).toHaveCount(2);
    await rows.nth(1).click();
    await expect(page.getByTestId("audit-data")).toContainText('"typedConfirmation": true');
    await page.getByRole("button", { name: "Verify chain" }).click();
    await expect(page.getByTestId("chain-status")).toContainText("Chain intact");
    await screenshot(page, "admin-audit");
    await page.context().close();
  });

  test("shell sandbox: the console shows it is available; the unsandboxed shell needs its own typed phrase", async ({
    browser,
  }) => {
    const page = await signedInPage(browser, "ADMIN");
    await page.goto("/admin/settings");
    await expect(page.getByTestId("shell-sandbox-status")).toContainText("Sandbox available");
    const unsandboxed = page.getByLabel(
      "Where no sandbox is available, let run_shell run commands directly on the server",
    );
    await unsandboxed.check();
    await page.getByRole("button", { name: "Save settings" }).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog).toContainText("Run shell commands without a sandbox?");
    const confirm = dialog.getByRole("button", { name: "Allow an unsandboxed shell" });
    await dialog.getByRole("textbox").fill("let destructive actions run without approval");
    await expect(confirm).toBeDisabled();
    await dialog.getByRole("textbox").fill("run shell commands without a sandbox");
    await confirm.click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Saved. The next call is decided with these settings.")).toBeVisible();
    await unsandboxed.uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Saved. The next call is decided with these settings.")).toBeVisible();
    const settings = await resultOf<{ unsandboxedShellConfirmed: boolean }>(
      page,
      "admin.settings.get",
      undefined,
      "query",
    );
    expect(settings.unsandboxedShellConfirmed).toBe(false);
    // With a working sandbox the shell is not disabled.
    await page.goto("/admin/tools");
    await expect(page.getByTestId("tool-item").filter({ hasText: "run_shell" })).toBeVisible();
    await expect(page.getByTestId("tool-unavailable")).toHaveCount(0);
    await page.context().close();
  });

  test("models, secrets and the audit log are usable product screens", async ({ browser }) => {
    const page = await signedInPage(browser, "ADMIN");
    await page.goto("/admin");
    await expect(page.getByRole("heading", { name: "Admin", exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Verify now" })).toBeVisible();
    await expect(page.getByText("policy rules")).toBeVisible();
    await screenshot(page, "admin-overview");

    // Models: a provider with a key (stored encrypted, shown masked) and a connection test with a clear result.
    await page.goto("/admin/models");
    const compatible = page.getByTestId("provider-compatible");
    await expect(compatible).toContainText("Not configured");
    await compatible.getByLabel("Base URL").fill("not a url");
    await expect(compatible.getByText("Enter an http(s) URL")).toBeVisible();
    await compatible.getByLabel("Base URL").fill("http://127.0.0.1:9/v1");
    await compatible.getByLabel("API key").fill("sk-e2e-secret-value-4321");
    await compatible.getByLabel("Models", { exact: true }).fill("tiny-model");
    await compatible.getByRole("button", { name: "Save" }).click();
    await expect(compatible.getByTestId("masked-key")).toHaveText("••••4321");
    await expect(compatible).toContainText("compatible:tiny-model");
    expect(await page.content()).not.toContain("sk-e2e-secret-value-4321");
    await compatible.getByRole("button", { name: "Test connection" }).click();
    await expect(compatible.getByTestId("connection-result")).toContainText("Connection failed.", { timeout: 15_000 });
    await compatible.getByTestId("connection-result").scrollIntoViewIfNeeded();
    await screenshot(page, "admin-models");
    // Back to the environment's settings (none): other specs expect the demo model as the default.
    await compatible.getByRole("button", { name: "Use the environment's settings" }).click();
    await expect(compatible).toContainText("Not configured");

    // Secrets: a value goes in and never comes back.
    await page.goto("/admin/secrets");
    await expect(page.getByTestId("secret-row").filter({ hasText: "STRIPE_KEY" })).toBeVisible();
    await page.getByRole("button", { name: "Add secret" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill("e2e token");
    await expect(dialog.getByText("expected an upper-case name such as STRIPE_API_KEY")).toBeVisible();
    await dialog.getByLabel("Name").fill("E2E_TOKEN");
    await dialog.getByLabel("Value").fill("e2e-value-never-shown");
    await dialog.getByRole("button", { name: "Store secret" }).click();
    await expect(page.getByText("Stored E2E_TOKEN. Its value cannot be shown again.")).toBeVisible();
    expect(await page.content()).not.toContain("e2e-value-never-shown");
    await screenshot(page, "admin-secrets");
    await page
      .getByTestId("secret-row")
      .filter({ hasText: "E2E_TOKEN" })
      .getByRole("button", { name: "Delete" })
      .click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete secret" }).click();
    await expect(page.getByTestId("secret-row").filter({ hasText: "E2E_TOKEN" })).toHaveCount(0);

    // The audit log records all of it, by actor, and pages.
    await page.goto("/admin/audit");
    await page.getByLabel("Actor").fill("Adam");
    await expect(page.getByTestId("audit-row").first()).toBeVisible();
    await page.getByLabel("Action", { exact: true }).selectOption("secret.");
    await expect(page.getByTestId("audit-row").filter({ hasText: "secret.created" })).toHaveCount(1);
    await expect(page.getByTestId("audit-row").filter({ hasText: "secret.deleted" })).toHaveCount(1);
    await page.getByLabel("Action", { exact: true }).selectOption("");
    await page.getByLabel("Actor").fill("");
    await expect(page.getByTestId("audit-count")).toContainText(/1–25 of \d+ events/);
    await page.getByRole("button", { name: "Older →" }).click();
    await expect(page.getByTestId("audit-count")).toContainText(/26–/);
    await page.context().close();
  });
});
