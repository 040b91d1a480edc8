import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPolicySettings, updatePolicySettings } from "../../approvals/policy-admin";
import { readSensitiveTables } from "../../db/policy";
import { createTestDatabase, type TestDatabase } from "../../testing/database";
import { createTestUser } from "../../testing/fixtures";
import { createSqlQueryTool } from "./sql-query";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("tables an admin marks sensitive", () => {
  it("make reading them a sensitive read at once, with a new policy version and an audit event", async () => {
    const tool = createSqlQueryTool({ url: database.url, sensitiveTables: readSensitiveTables });
    const query = { sql: "SELECT email FROM customers WHERE id = 1" };
    expect(await tool.classify?.(query)).toBe("READ");

    const admin = await createTestUser("ADMIN");
    const before = await getPolicySettings();
    await updatePolicySettings({
      expectedVersion: before.version,
      defaultRequiredApprovals: before.defaultRequiredApprovals,
      defaultExpiryMinutes: before.defaultExpiryMinutes,
      destructiveAutoRunConfirmed: before.destructiveAutoRunConfirmed,
      sensitiveReadsNeedApproval: before.sensitiveReadsNeedApproval,
      sensitiveTables: ["customers"],
      actorId: admin.id,
    });

    expect(await tool.classify?.(query)).toBe("SENSITIVE_READ");
    // Also when the table hides in a CTE or a join.
    expect(await tool.classify?.({ sql: "WITH c AS (SELECT * FROM public.customers) SELECT count(*) FROM c" })).toBe(
      "SENSITIVE_READ",
    );
    expect(await tool.classify?.({ sql: "SELECT count(*) FROM orders" })).toBe("READ");
    const after = await getPolicySettings();
    expect(after.version).toBe(before.version + 1);
    const [audit] = await database.query<{ data: { after: { sensitiveTables: string[] } } }>(
      `SELECT data FROM "AuditEvent" WHERE action = 'policy.settings-changed' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit?.data.after.sensitiveTables).toEqual(["customers"]);
  });
});
