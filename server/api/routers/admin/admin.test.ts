/**
 * The admin console's procedures through the router, as the browser calls them, against
 * the real database: every procedure refuses USER and REVIEWER, tool classes and rules
 * change policy for the next call with conflicts for stale edits, the typed confirmations
 * hold and are audited, secrets never come back, and the audit log pages.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPolicy } from "../../../approvals/current-policy";
import { evaluateCall } from "../../../approvals/evaluate-call";
import { listToolsForAdmin } from "../../../approvals/policy-admin";
import { verifyAuditChain } from "../../../audit/record-audit-event";
import { readUnsandboxedShellAllowed } from "../../../db/policy";
import { resetEnvForTests } from "../../../env";
import { createTestDatabase, type TestDatabase } from "../../../testing/database";
import { createTestUser } from "../../../testing/fixtures";
import { createToolRegistry } from "../../../tools/registry";
import { createRunShellTool } from "../../../tools/shell/run-shell";
import { probeSandbox } from "../../../tools/shell/sandbox";
import { appRouter, createCaller } from "../../root";
import { createInnerContext } from "../../trpc";

let database: TestDatabase;
let admin: ReturnType<typeof createCaller>;
let adminId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.SECRETS_KEY = randomBytes(32).toString("base64");
  resetEnvForTests();
  adminId = (await createTestUser("ADMIN")).id;
  admin = createCaller(createInnerContext({ userId: adminId }));
});
afterAll(async () => database?.drop());

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

async function auditData(action: string): Promise<Record<string, unknown>[]> {
  const rows = await database.query<{ data: Record<string, unknown> }>(
    `SELECT data FROM "AuditEvent" WHERE action = $1 ORDER BY id`,
    [action],
  );
  return rows.map((row) => row.data);
}

/** Calls a procedure by its dotted path with whatever input, the way a hostile client could. */
function callByPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  let target = caller as Record<string, unknown>;
  for (const segment of path.split(".")) target = target[segment] as Record<string, unknown>;
  return Promise.resolve().then(() => (target as unknown as (input: unknown) => Promise<unknown>)(input));
}

describe("admin console procedures", () => {
  it("every admin procedure refuses a USER and a REVIEWER, and anyone signed out", async () => {
    const paths = Object.keys(appRouter._def.procedures).filter((path) => path.startsWith("admin."));
    // Found by walking the router, so a procedure added later is covered without editing this test.
    expect(paths.length).toBeGreaterThanOrEqual(28);
    const user = createCaller(createInnerContext({ userId: (await createTestUser("USER")).id }));
    const reviewer = createCaller(createInnerContext({ userId: (await createTestUser("REVIEWER")).id }));
    const anonymous = createCaller(createInnerContext({ userId: null }));
    for (const path of paths) {
      // Input that would be valid for an admin where it matters: the refusal is the role's.
      const input = path === "admin.users.changeRole" ? { userId: "x", role: "ADMIN", expectedVersion: 1 } : {};
      expect(await codeOf(callByPath(user, path, input)), `${path} as USER`).toBe("FORBIDDEN");
      expect(await codeOf(callByPath(reviewer, path, input)), `${path} as REVIEWER`).toBe("FORBIDDEN");
      expect(await codeOf(callByPath(anonymous, path, input)), `${path} signed out`).toBe("UNAUTHORIZED");
    }
  });

  it("a reviewer cannot raise their own role through the console", async () => {
    const reviewerId = (await createTestUser("REVIEWER")).id;
    const reviewer = createCaller(createInnerContext({ userId: reviewerId }));
    expect(
      await codeOf(reviewer.admin.users.changeRole({ userId: reviewerId, role: "ADMIN", expectedVersion: 1 })),
    ).toBe("FORBIDDEN");
    const [row] = await database.query<{ role: string }>(`SELECT role FROM "User" WHERE id = $1`, [reviewerId]);
    expect(row?.role).toBe("REVIEWER");
  });

  it("a tool's class applies to the next call; a stale edit conflicts; lowering a destructive tool needs its name typed", async () => {
    const tools = await admin.admin.tools.list();
    const listFiles = tools.find((tool) => tool.name === "list_files");
    expect(listFiles).toMatchObject({ defaultRisk: "READ", effectiveRisk: "READ", overrideVersion: 0 });
    expect(listFiles?.inputSchema).toHaveProperty("properties");
    expect(tools.find((tool) => tool.name === "run_shell")).toMatchObject({ classifiesPerCall: true });

    const before = await admin.admin.tools.simulate({ toolName: "list_files", args: { path: "." } });
    expect(before.decision).toBe("ALLOW");
    await admin.admin.tools.setClass({ toolName: "list_files", riskClass: "DESTRUCTIVE", expectedVersion: 0 });
    const after = await admin.admin.tools.simulate({ toolName: "list_files", args: { path: "." } });
    expect(after).toMatchObject({ decision: "REQUIRE_APPROVAL", riskClass: "DESTRUCTIVE" });
    expect(after.reasons.join(" ")).toContain("an admin set list_files to DESTRUCTIVE");
    // A second admin who saw version 0 is told, not overwritten silently.
    expect(
      await codeOf(admin.admin.tools.setClass({ toolName: "list_files", riskClass: "DISABLED", expectedVersion: 0 })),
    ).toBe("CONFLICT");
    await admin.admin.tools.setClass({ toolName: "list_files", riskClass: null, expectedVersion: 1 });
    expect((await admin.admin.tools.simulate({ toolName: "list_files", args: { path: "." } })).decision).toBe("ALLOW");

    expect(
      await codeOf(admin.admin.tools.setClass({ toolName: "delete_file", riskClass: "READ", expectedVersion: 0 })),
    ).toBe("BAD_REQUEST");
    expect(
      await codeOf(
        admin.admin.tools.setClass({
          toolName: "delete_file",
          riskClass: "READ",
          expectedVersion: 0,
          confirmation: "delete file",
        }),
      ),
    ).toBe("BAD_REQUEST");
    await admin.admin.tools.setClass({
      toolName: "delete_file",
      riskClass: "READ",
      expectedVersion: 0,
      confirmation: "delete_file",
    });
    await admin.admin.tools.setClass({ toolName: "delete_file", riskClass: null, expectedVersion: 1 });
    const changes = await auditData("policy.tool-class-changed");
    expect(changes.map((data) => [data.before, data.after, data.confirmed])).toEqual([
      [null, "DESTRUCTIVE", false],
      ["DESTRUCTIVE", null, false],
      [null, "READ", true],
      ["READ", null, false],
    ]);
    expect(
      await codeOf(admin.admin.tools.setClass({ toolName: "no_such_tool", riskClass: "READ", expectedVersion: 0 })),
    ).toBe("NOT_FOUND");
  });

  it("rules: shell `rm` needs 2 approvals; edits, reorders and deletes name the version they saw", async () => {
    const rm = await admin.admin.rules.create({
      toolName: "run_shell",
      description: "rm needs two approvals",
      conditions: [{ path: "facts.commands", operator: "equals", value: "rm" }],
      effect: { requiredApprovals: 2 },
      enabled: true,
    });
    const gated = await admin.admin.tools.simulate({ toolName: "run_shell", args: { command: "rm -rf tmp" } });
    expect(gated).toMatchObject({ decision: "REQUIRE_APPROVAL", requiredApprovals: 2, matchedRuleId: rm.id });
    expect(gated.facts).toMatchObject({ command: "rm" });
    const ls = await admin.admin.tools.simulate({ toolName: "run_shell", args: { command: "ls -la" } });
    expect(ls.decision).toBe("ALLOW");
    const invalid = await admin.admin.tools.simulate({ toolName: "run_shell", args: { cmd: 1 } });
    expect(invalid).toMatchObject({ decision: "DENY" });
    expect(invalid.reasons[0]).toContain("Invalid arguments");

    const second = await admin.admin.rules.create({
      toolName: "*",
      description: "reviewers' calls are never denied by accident",
      conditions: [{ path: "actor.role", operator: "in", value: ["REVIEWER"] }],
      effect: { decision: "REQUIRE_APPROVAL" },
      enabled: false,
    });
    const list = await admin.admin.rules.list();
    expect(list.rules.map((rule) => rule.id)).toEqual([rm.id, second.id]);

    await admin.admin.rules.update({
      id: rm.id,
      expectedVersion: rm.version,
      rule: {
        toolName: "run_shell",
        description: "rm needs three approvals",
        conditions: [{ path: "facts.commands", operator: "equals", value: "rm" }],
        effect: { requiredApprovals: 3 },
        enabled: true,
      },
    });
    expect(
      await codeOf(
        admin.admin.rules.update({
          id: rm.id,
          expectedVersion: rm.version,
          rule: {
            toolName: "run_shell",
            description: "stale",
            conditions: [],
            effect: { decision: "DENY" },
            enabled: true,
          },
        }),
      ),
    ).toBe("CONFLICT");
    expect(
      await codeOf(
        admin.admin.rules.reorder({ orderedIds: [second.id, rm.id], expectedPolicyVersion: list.policyVersion }),
      ),
    ).toBe("CONFLICT");
    const current = await admin.admin.rules.list();
    await admin.admin.rules.reorder({ orderedIds: [second.id, rm.id], expectedPolicyVersion: current.policyVersion });
    expect((await admin.admin.rules.list()).rules.map((rule) => rule.id)).toEqual([second.id, rm.id]);
    expect(
      await codeOf(
        admin.admin.rules.reorder({ orderedIds: [rm.id], expectedPolicyVersion: current.policyVersion + 1 }),
      ),
    ).toBe("BAD_REQUEST");

    const rules = (await admin.admin.rules.list()).rules;
    for (const rule of rules) {
      expect(await codeOf(admin.admin.rules.delete({ id: rule.id, expectedVersion: rule.version - 1 }))).toBe(
        "CONFLICT",
      );
      await admin.admin.rules.delete({ id: rule.id, expectedVersion: rule.version });
    }
    expect(
      (await admin.admin.tools.simulate({ toolName: "run_shell", args: { command: "rm -rf tmp" } })).requiredApprovals,
    ).toBe(1);
    const actions = await database.query<{ action: string }>(
      `SELECT action FROM "AuditEvent" WHERE action LIKE 'policy.rule%' ORDER BY id`,
    );
    expect(actions.map((row) => row.action)).toEqual([
      "policy.rule-created",
      "policy.rule-created",
      "policy.rule-changed",
      "policy.rules-reordered",
      "policy.rule-deleted",
      "policy.rule-deleted",
    ]);
  });

  it("a malformed rule is refused with the field that is wrong", async () => {
    try {
      await admin.admin.rules.create({
        toolName: "run_shell",
        description: "bad regex",
        conditions: [{ path: "args.command", operator: "regex", value: "(" }],
        effect: { decision: "DENY" },
        enabled: true,
      });
      expect.unreachable();
    } catch (error) {
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect(String((error as TRPCError).message)).toContain("Invalid regular expression");
    }
    expect(
      await codeOf(
        admin.admin.rules.create({
          toolName: "nope",
          description: "unknown tool",
          conditions: [],
          effect: { decision: "DENY" },
          enabled: true,
        }),
      ),
    ).toBe("BAD_REQUEST");
  });

  it("approval settings: destructive auto-run only with the typed phrase, audited; stale saves conflict", async () => {
    const settings = await admin.admin.settings.get();
    const base = {
      expectedVersion: settings.version,
      defaultRequiredApprovals: 1,
      defaultExpiryMinutes: 60,
      sensitiveReadsNeedApproval: true,
    };
    expect(await codeOf(admin.admin.settings.update({ ...base, destructiveAutoRunConfirmed: true }))).toBe(
      "BAD_REQUEST",
    );
    expect(
      await codeOf(
        admin.admin.settings.update({ ...base, destructiveAutoRunConfirmed: true, confirmation: "yes please" }),
      ),
    ).toBe("BAD_REQUEST");
    await admin.admin.settings.update({
      ...base,
      destructiveAutoRunConfirmed: true,
      confirmation: settings.autoRunConfirmation,
    });
    expect(await codeOf(admin.admin.settings.update({ ...base, destructiveAutoRunConfirmed: false }))).toBe("CONFLICT");
    const now = await admin.admin.settings.get();
    expect(now).toMatchObject({ destructiveAutoRunConfirmed: true, defaultExpiryMinutes: 60 });
    await admin.admin.settings.update({ ...base, expectedVersion: now.version, destructiveAutoRunConfirmed: false });
    expect(
      await codeOf(
        admin.admin.settings.update({
          ...base,
          expectedVersion: now.version + 1,
          defaultRequiredApprovals: 0,
          destructiveAutoRunConfirmed: false,
        }),
      ),
    ).toBe("BAD_REQUEST");
    const changes = await auditData("policy.settings-changed");
    expect(changes.map((data) => data.typedConfirmation)).toEqual([true, false]);
  });

  it("unsandboxed shell: only with its own typed phrase, audited; a shell without a sandbox is DISABLED until then", async () => {
    const missing = "/nonexistent/bwrap";
    const shell = createRunShellTool({
      root: await mkdtemp(path.join(os.tmpdir(), "airlock-admin-shell-")),
      bwrapPath: missing,
      sandbox: () => probeSandbox(missing),
      unsandboxedAllowed: readUnsandboxedShellAllowed,
    });
    const [listed] = await listToolsForAdmin(createToolRegistry([shell]));
    expect(listed).toMatchObject({ name: "run_shell", effectiveRisk: "DISABLED" });
    expect(listed?.unavailableReason).toMatch(/no OS sandbox .*bubblewrap is not installed/);
    // Whatever class an admin set, the model is told why it cannot run.
    const evaluation = await evaluateCall({
      toolName: "run_shell",
      tool: shell,
      args: { command: "ls" },
      actor: { id: adminId, role: "ADMIN" },
      policy: await loadPolicy(),
      availableTools: () => ["run_shell"],
    });
    expect(evaluation).toEqual({ ok: false, reason: expect.stringMatching(/^run_shell is disabled: no OS sandbox/) });

    const settings = await admin.admin.settings.get();
    expect(settings).toMatchObject({
      unsandboxedShellConfirmed: false,
      shellSandbox: { available: true, reason: null },
    });
    const base = {
      expectedVersion: settings.version,
      defaultRequiredApprovals: settings.defaultRequiredApprovals,
      defaultExpiryMinutes: settings.defaultExpiryMinutes,
      sensitiveReadsNeedApproval: true,
      destructiveAutoRunConfirmed: false,
    };
    expect(await codeOf(admin.admin.settings.update({ ...base, unsandboxedShellConfirmed: true }))).toBe("BAD_REQUEST");
    // The other setting's phrase does not do.
    expect(
      await codeOf(
        admin.admin.settings.update({
          ...base,
          unsandboxedShellConfirmed: true,
          confirmation: settings.unsandboxedShellConfirmation,
          unsandboxedShellConfirmation: settings.autoRunConfirmation,
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(await readUnsandboxedShellAllowed()).toBe(false);
    await admin.admin.settings.update({
      ...base,
      unsandboxedShellConfirmed: true,
      unsandboxedShellConfirmation: settings.unsandboxedShellConfirmation,
    });
    expect(await readUnsandboxedShellAllowed()).toBe(true);
    expect(await shell.unavailable?.()).toBeNull();
    // A save that does not mention it leaves it as it is.
    const now = await admin.admin.settings.get();
    await admin.admin.settings.update({ ...base, expectedVersion: now.version });
    expect(await readUnsandboxedShellAllowed()).toBe(true);
    const changes = await auditData("policy.settings-changed");
    expect(changes.slice(-2).map((data) => data.unsandboxedShellTypedConfirmation)).toEqual([true, false]);
    const again = await admin.admin.settings.get();
    await admin.admin.settings.update({ ...base, expectedVersion: again.version, unsandboxedShellConfirmed: false });
    expect(await shell.unavailable?.()).toMatch(/run_shell is disabled/);
  });

  it("secrets: values go in, never come back out", async () => {
    expect(await admin.admin.secrets.set({ name: "PAYMENTS_TOKEN", value: "tok_live_very_secret" })).toEqual({
      created: true,
    });
    expect(await admin.admin.secrets.set({ name: "PAYMENTS_TOKEN", value: "tok_live_rotated" })).toEqual({
      created: false,
    });
    const list = await admin.admin.secrets.list();
    expect(list.map((secret) => secret.name)).toContain("PAYMENTS_TOKEN");
    expect(JSON.stringify(list)).not.toContain("tok_live");
    expect(await codeOf(admin.admin.secrets.set({ name: "lower_case", value: "x" }))).toBe("BAD_REQUEST");
    await admin.admin.secrets.delete({ name: "PAYMENTS_TOKEN" });
    expect(await codeOf(admin.admin.secrets.delete({ name: "PAYMENTS_TOKEN" }))).toBe("NOT_FOUND");
    const events = await database.query<{ data: unknown }>(
      `SELECT data FROM "AuditEvent" WHERE "targetType" = 'secret'`,
    );
    expect(events).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain("tok_live");
  });

  it("models: a provider key goes in, only its last 4 come back; the default model is optimistic", async () => {
    const key = "sk-console-key-abcdefgh-9876";
    await admin.admin.models.saveProvider({
      provider: "compatible",
      expectedVersion: 0,
      enabled: true,
      baseUrl: "http://127.0.0.1:9/v1",
      apiKey: { action: "set", value: key },
      models: ["tiny"],
    });
    const settings = await admin.admin.models.get();
    expect(JSON.stringify(settings)).not.toContain(key);
    expect(settings.providers.find((provider) => provider.provider === "compatible")).toMatchObject({
      maskedKey: "••••9876",
      keySource: "console",
      version: 1,
    });
    expect(settings.models.map((model) => model.id)).toContain("compatible:tiny");
    // A compatible server without a base URL is refused before it reaches the service.
    expect(
      await codeOf(
        admin.admin.models.saveProvider({
          provider: "compatible",
          expectedVersion: 1,
          enabled: true,
          baseUrl: null,
          apiKey: { action: "keep" },
          models: [],
        }),
      ),
    ).toBe("BAD_REQUEST");
    const version = settings.defaultModel.version;
    await admin.admin.models.setDefault({ modelId: "compatible:tiny", expectedVersion: version });
    expect(await codeOf(admin.admin.models.setDefault({ modelId: "demo", expectedVersion: version }))).toBe("CONFLICT");
    expect((await admin.admin.models.get()).defaultModel).toMatchObject({
      configured: "compatible:tiny",
      effective: "compatible:tiny",
    });
    // Everyone's model list follows the console.
    const user = createCaller(createInnerContext({ userId: (await createTestUser("USER")).id }));
    expect((await user.model.list()).defaultModelId).toBe("compatible:tiny");
    await admin.admin.models.setDefault({ modelId: null, expectedVersion: version + 1 });
    await admin.admin.models.removeProvider({ provider: "compatible", expectedVersion: 1 });
    expect((await user.model.list()).models.map((model) => model.id)).toEqual(["demo"]);
  });

  it("the audit log lists all of it, newest first, and the chain verifies", async () => {
    const page = await admin.admin.audit.list({ action: "policy.", limit: 5 });
    expect(page.events).toHaveLength(5);
    expect(page.nextCursor).not.toBeNull();
    const next = await admin.admin.audit.list({ action: "policy.", limit: 5, cursor: page.nextCursor ?? undefined });
    expect(Number(next.events[0]?.id)).toBeLessThan(Number(page.events.at(-1)?.id));
    expect(page.events[0]?.actor).toMatchObject({ id: adminId });
    expect(await admin.admin.audit.verify()).toMatchObject({ ok: true });
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });
});
