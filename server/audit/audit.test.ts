import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction } from "../db/transaction";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { recordAuditEvent, verifyAuditChain } from "./record-audit-event";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("audit chain", () => {
  it("links every event to the one before and verifies, also under concurrent writers", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        inTransaction((tx) =>
          recordAuditEvent(tx, {
            actorId: null,
            action: "test.event",
            targetType: "test",
            targetId: String(index),
            data: { index },
          }),
        ),
      ),
    );
    const verification = await verifyAuditChain();
    expect(verification).toEqual({ ok: true, events: 20 });
  });

  it("masks secret-looking fields", async () => {
    await inTransaction((tx) =>
      recordAuditEvent(tx, {
        actorId: null,
        action: "test.secret",
        targetType: "test",
        data: { apiKey: "sk-live-123", password: "hunter2", note: "fine" },
      }),
    );
    const [row] = await database.query<{ data: Record<string, string> }>(
      `SELECT data FROM "AuditEvent" WHERE action = 'test.secret'`,
    );
    expect(row?.data).toEqual({ apiKey: "[redacted]", password: "[redacted]", note: "fine" });
  });

  it("is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    await expect(database.query(`UPDATE "AuditEvent" SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(database.query(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/append-only/);
    await expect(database.query(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only/);
  });

  it("reports the first broken link when a row is tampered with behind the trigger's back", async () => {
    const [target] = await database.query<{ id: string }>(`SELECT id FROM "AuditEvent" ORDER BY id LIMIT 1 OFFSET 5`);
    await database.query(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    await database.query(`UPDATE "AuditEvent" SET data = '{"index": 999}' WHERE id = $1`, [target?.id]);
    await database.query(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const verification = await verifyAuditChain();
    expect(verification).toMatchObject({
      ok: false,
      brokenAt: target?.id,
      reason: "its content does not match its hash",
    });
  });
});
