/** The audit viewer's query: filters, newest-first keyset pages, actor names. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inTransaction } from "../db/transaction";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { auditVocabulary, listAuditLog } from "./audit-log";
import { recordAuditEvent } from "./record-audit-event";

let database: TestDatabase;
let alice: { id: string; name: string; email: string };
let bob: { id: string; name: string; email: string };

beforeAll(async () => {
  database = await createTestDatabase();
  alice = await createTestUser("ADMIN");
  bob = await createTestUser("REVIEWER");
  for (let index = 0; index < 30; index++) {
    await inTransaction((tx) =>
      recordAuditEvent(tx, {
        actorId: index % 3 === 0 ? null : index % 3 === 1 ? alice.id : bob.id,
        action: index % 2 === 0 ? "policy.rule-created" : "user.role-changed",
        targetType: index % 2 === 0 ? "policy-rule" : "user",
        targetId: `target-${index}`,
        data: { index, apiKey: "must-not-show" },
      }),
    );
  }
});
afterAll(async () => database?.drop());

describe("audit log viewer", () => {
  it("pages newest first without gaps or repeats", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let total = 0;
    for (let page = 0; page < 10; page++) {
      const result = await listAuditLog({ limit: 7, ...(cursor ? { cursor } : {}) });
      total = result.total;
      seen.push(...result.events.map((event) => event.id));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const numeric = seen.map(Number);
    expect(numeric).toEqual([...numeric].sort((a, b) => b - a));
  });

  it("filters by actor text, 'system', action prefix, exact action, target and time", async () => {
    const byAlice = await listAuditLog({ actor: alice.email.toUpperCase(), limit: 100 });
    expect(byAlice.events.length).toBe(10);
    expect(byAlice.events.every((event) => event.actor?.id === alice.id && event.actor.name === alice.name)).toBe(true);
    const system = await listAuditLog({ actor: "system", limit: 100 });
    expect(system.events.every((event) => event.actor === null)).toBe(true);
    expect(system.events.length).toBe(10);
    const nobody = await listAuditLog({ actor: "no-such-person", limit: 100 });
    expect(nobody).toMatchObject({ events: [], total: 0, nextCursor: null });

    const policy = await listAuditLog({ action: "policy.", limit: 100 });
    expect(policy.total).toBe(15);
    const exact = await listAuditLog({ action: "user.role-changed", limit: 100 });
    expect(exact.events.every((event) => event.action === "user.role-changed")).toBe(true);
    const target = await listAuditLog({ targetType: "user", targetId: "TARGET-1", limit: 100 });
    expect(target.events.map((event) => event.targetId).sort()).toEqual(
      ["target-1", "target-11", "target-13", "target-15", "target-17", "target-19"].sort(),
    );
    const future = await listAuditLog({ from: new Date(Date.now() + 60_000), limit: 100 });
    expect(future.total).toBe(0);
    const past = await listAuditLog({ to: new Date(Date.now() + 60_000), limit: 5 });
    expect(past.events).toHaveLength(5);
    expect(past.nextCursor).not.toBeNull();
  });

  it("shows what was recorded, redacted, with its chain links", async () => {
    const [event] = (await listAuditLog({ limit: 1 })).events;
    expect(event?.data).toMatchObject({ apiKey: "[redacted]" });
    expect(event?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(event?.prevHash).toMatch(/^[0-9a-f]{64}$/);
    const vocabulary = await auditVocabulary();
    expect(vocabulary.actions).toEqual(expect.arrayContaining(["policy.rule-created", "user.role-changed"]));
    expect(vocabulary.targetTypes).toEqual(expect.arrayContaining(["policy-rule", "user"]));
  });
});
