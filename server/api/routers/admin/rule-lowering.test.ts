/**
 * A rule must not switch approvals off silently: saving a rule that lets calls run with
 * less review than their class asks for (a lower class, or ALLOW on a gated call) needs
 * the same typed, audited confirmation as lowering a tool's class — enforced by the
 * server, through the router as the browser calls it, against the real database.
 */
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVERY_TOOL_CONFIRMATION, type PolicyRuleInput } from "../../../shared/policy-schemas";
import { RISK_CLASSES } from "../../../shared/risk";
import { createTestDatabase, type TestDatabase } from "../../../testing/database";
import { createTestUser } from "../../../testing/fixtures";
import { createCaller } from "../../root";
import { createInnerContext } from "../../trpc";

let database: TestDatabase;
let admin: ReturnType<typeof createCaller>;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = createCaller(createInnerContext({ userId: (await createTestUser("ADMIN")).id }));
});
afterAll(async () => database?.drop());

async function domainCodeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return (error.cause as { code?: string } | undefined)?.code ?? error.code;
    throw error;
  }
}

async function removeAllRules() {
  for (const rule of (await admin.admin.rules.list()).rules) {
    await admin.admin.rules.delete({ id: rule.id, expectedVersion: rule.version });
  }
}

/** Calls whose class before any rule is DESTRUCTIVE or SENSITIVE_READ, by default, classifier or both. */
const GATED_CALLS = [
  { toolName: "delete_file", args: { path: "notes/old.md" } },
  { toolName: "write_file", args: { path: "notes/new.md", content: "x" } },
  { toolName: "run_shell", args: { command: "rm -rf build" } },
  { toolName: "sql_query", args: { sql: "DELETE FROM customers" } },
  { toolName: "read_file", args: { path: ".env" } },
] as const;

describe("rules that lower review", () => {
  it("`* → READ` and ALLOW on a destructive tool are refused without the typed confirmation, and audited with it", async () => {
    const lowerEverything: PolicyRuleInput = {
      toolName: "*",
      description: "everything is a read",
      conditions: [],
      effect: { riskClass: "READ" },
      enabled: true,
    };
    expect(await domainCodeOf(admin.admin.rules.create(lowerEverything))).toBe("admin:confirmation-required");
    expect(await domainCodeOf(admin.admin.rules.create({ ...lowerEverything, confirmation: "*" }))).toBe(
      "admin:confirmation-required",
    );
    // A client cannot mark its own rule confirmed: the flag is not part of the input.
    expect(
      await domainCodeOf(
        admin.admin.rules.create({
          ...lowerEverything,
          effect: { riskClass: "READ", confirmedLowering: true } as PolicyRuleInput["effect"],
        }),
      ),
    ).toBe("admin:confirmation-required");
    const allowDelete: PolicyRuleInput = {
      toolName: "delete_file",
      description: "deletes under tmp/ run by themselves",
      conditions: [{ path: "args.path", operator: "glob", value: "tmp/**" }],
      effect: { decision: "ALLOW" },
      enabled: true,
    };
    expect(await domainCodeOf(admin.admin.rules.create(allowDelete))).toBe("admin:confirmation-required");
    expect((await admin.admin.rules.list()).rules).toHaveLength(0);

    // Raising, or changing only the number of approvals, needs nothing.
    await admin.admin.rules.create({ ...lowerEverything, effect: { riskClass: "DESTRUCTIVE" }, enabled: false });
    await admin.admin.rules.create({ ...allowDelete, effect: { requiredApprovals: 2 } });

    const confirmed = await admin.admin.rules.create({ ...allowDelete, confirmation: "delete_file" });
    expect(confirmed.effect).toMatchObject({ decision: "ALLOW", confirmedLowering: true });
    // Editing a confirmed rule asks again: the confirmation is for what was typed over.
    expect(
      await domainCodeOf(
        admin.admin.rules.update({
          id: confirmed.id,
          expectedVersion: confirmed.version,
          rule: { ...allowDelete, effect: { riskClass: "READ" } },
        }),
      ),
    ).toBe("admin:confirmation-required");
    await admin.admin.rules.create({ ...lowerEverything, confirmation: EVERY_TOOL_CONFIRMATION });
    const audits = await database.query<{ confirmed: boolean | null }>(
      `SELECT (data->>'confirmed')::boolean AS confirmed FROM "AuditEvent" WHERE action = 'policy.rule-created' ORDER BY id`,
    );
    expect(audits.map((row) => row.confirmed)).toEqual([false, false, true, true]);
    await removeAllRules();
  });

  it("a rule row written without the admin service's confirmation does not lower anything", async () => {
    await database.query(
      `INSERT INTO "PolicyRule" (id, "toolName", description, conditions, effect, position)
       VALUES ('sneaky', '*', 'written straight into the table', '[]', '{"riskClass":"READ","decision":"ALLOW"}', 1)`,
    );
    await database.query(`UPDATE "PolicyState" SET version = version + 1 WHERE id = 1`);
    try {
      for (const call of GATED_CALLS) {
        expect((await admin.admin.tools.simulate(call)).decision, call.toolName).toBe("REQUIRE_APPROVAL");
      }
    } finally {
      await database.query(`DELETE FROM "PolicyRule" WHERE id = 'sneaky'`);
      await database.query(`UPDATE "PolicyState" SET version = version + 1 WHERE id = 1`);
    }
  });

  it("for any rules saved through the admin service without confirmation, no gated call is ever allowed", async () => {
    // Destructive auto-run on (itself a typed confirmation): even so, no unconfirmed rule lets one through.
    const settings = await admin.admin.settings.get();
    await admin.admin.settings.update({
      expectedVersion: settings.version,
      defaultRequiredApprovals: 1,
      defaultExpiryMinutes: 60,
      sensitiveReadsNeedApproval: true,
      destructiveAutoRunConfirmed: true,
      confirmation: settings.autoRunConfirmation,
    });
    const arbitraryRule = fc.record({
      toolName: fc.constantFrom("*", "delete_file", "write_file", "run_shell", "sql_query", "read_file", "list_files"),
      description: fc.constant("generated"),
      conditions: fc.constantFrom<PolicyRuleInput["conditions"]>(
        [],
        [{ path: "args.path", operator: "glob" as const, value: "**" }],
        [{ path: "actor.role", operator: "equals" as const, value: "USER" }],
      ),
      effect: fc
        .record(
          {
            riskClass: fc.constantFrom(...RISK_CLASSES),
            decision: fc.constantFrom("ALLOW", "REQUIRE_APPROVAL", "DENY" as const),
            requiredApprovals: fc.integer({ min: 1, max: 3 }),
          },
          { requiredKeys: [] },
        )
        .filter((effect) => Object.keys(effect).length > 0),
      enabled: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(arbitraryRule, { minLength: 1, maxLength: 4 }), async (rules) => {
        try {
          for (const rule of rules) {
            expect(["OK", "admin:confirmation-required"]).toContain(await domainCodeOf(admin.admin.rules.create(rule)));
          }
          for (const call of GATED_CALLS) {
            expect((await admin.admin.tools.simulate(call)).decision, call.toolName).not.toBe("ALLOW");
          }
        } finally {
          await removeAllRules();
        }
      }),
      { numRuns: 25, seed: 20261201 },
    );
  });

  it("a rule granting network access needs the typed confirmation, even on a plain read, and a client cannot confirm it", async () => {
    const network: PolicyRuleInput = {
      toolName: "run_shell",
      description: "curl may reach the network",
      conditions: [{ path: "facts.command", operator: "equals", value: "curl" }],
      effect: { network: true },
      enabled: true,
    };
    expect(await domainCodeOf(admin.admin.rules.create(network))).toBe("admin:confirmation-required");
    expect(await domainCodeOf(admin.admin.rules.create({ ...network, confirmation: "every tool" }))).toBe(
      "admin:confirmation-required",
    );
    expect(
      await domainCodeOf(
        admin.admin.rules.create({
          ...network,
          effect: { network: true, confirmedLowering: true } as PolicyRuleInput["effect"],
        }),
      ),
    ).toBe("admin:confirmation-required");
    // "network: false" alone changes nothing, so it is not a rule.
    expect(await domainCodeOf(admin.admin.rules.create({ ...network, effect: { network: false } }))).toBe(
      "BAD_REQUEST",
    );
    expect((await admin.admin.rules.list()).rules).toHaveLength(0);
    const saved = await admin.admin.rules.create({ ...network, confirmation: "run_shell" });
    expect(saved.effect).toMatchObject({ network: true, confirmedLowering: true });
    // Editing it asks again.
    expect(
      await domainCodeOf(admin.admin.rules.update({ id: saved.id, expectedVersion: saved.version, rule: network })),
    ).toBe("admin:confirmation-required");
    const audit = await database.query<{ confirmed: boolean; network: boolean }>(
      `SELECT (data->>'confirmed')::boolean AS confirmed, (data->'rule'->'effect'->>'network')::boolean AS network
         FROM "AuditEvent" WHERE action = 'policy.rule-created' AND "targetId" = $1`,
      [saved.id],
    );
    expect(audit).toEqual([{ confirmed: true, network: true }]);
    await removeAllRules();
  });
});
