import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { classify, execute, preview, testToolContext } from "../testing/tool-harness";
import { seedDemoDatabase } from "./seed-demo-database";
import { forgetLedgers } from "./sql-execution";
import { createSqlQueryTool } from "./sql-query";

let url: string;
let admin: pg.Client;
let sensitive: string[] = ["payment_methods"];

const tool = () =>
  createSqlQueryTool({ url, sensitiveTables: () => sensitive, maxRows: 50, statementTimeoutMs: 2_000 });

async function scalar<T>(sql: string): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Object.values((await client.query(sql)).rows[0] ?? {})[0] as T;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const server = new URL(inject("postgresServerUrl"));
  server.pathname = `/demo_${randomBytes(5).toString("hex")}`;
  url = server.toString();
  expect(await seedDemoDatabase(url)).toEqual({ created: true });
  admin = new pg.Client({ connectionString: inject("postgresServerUrl") });
  await admin.connect();
});

afterAll(async () => {
  forgetLedgers();
  await admin?.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  await admin?.end();
});

describe("the demo database", () => {
  it("has customers (four at @example.test), recent orders and invoices, and seeds only once", async () => {
    expect(Number(await scalar("SELECT count(*) FROM customers WHERE email LIKE '%@example.test'"))).toBe(4);
    expect(Number(await scalar("SELECT count(*) FROM orders WHERE created_at > now() - interval '6 months'"))).toBe(
      Number(await scalar("SELECT count(*) FROM orders")),
    );
    expect(Number(await scalar("SELECT count(*) FROM invoices"))).toBeGreaterThan(50);
    expect(await seedDemoDatabase(url)).toEqual({ created: false });
  });
});

describe("reads", () => {
  it("run in a READ ONLY transaction with a row cap", async () => {
    const result = await execute(tool(), { sql: "SELECT id, email, created_at FROM customers ORDER BY id" });
    const [statement] = result.statements;
    expect(result.readOnly).toBe(true);
    expect(statement.columns).toEqual(["id", "email", "created_at"]);
    expect(statement.rows).toHaveLength(40);
    expect(typeof statement.rows[0][2]).toBe("string");
    const capped = await execute(tool(), { sql: "SELECT * FROM orders" });
    expect(capped.statements[0]).toMatchObject({ truncated: true, rowCount: null });
    expect(capped.statements[0].rows).toHaveLength(50);
  });

  it("answers the demo's question about last month's orders", async () => {
    const sql =
      "SELECT count(*) AS orders FROM orders WHERE created_at >= date_trunc('month', now()) - interval '1 month' AND created_at < date_trunc('month', now())";
    expect(await classify(tool(), { sql })).toBe("READ");
    const result = await execute(tool(), { sql });
    expect(result.statements[0].columns).toEqual(["orders"]);
  });

  it("stops at the statement timeout", async () => {
    // generate_series is side-effect free, so this is READ: only the timeout stops it.
    const sql = "SELECT count(*) FROM generate_series(1, 100000000000)";
    expect(await classify(tool(), { sql })).toBe("READ");
    await expect(execute(tool(), { sql })).rejects.toThrow(/statement timeout/);
  });

  it("stops when the call is aborted", async () => {
    const controller = new AbortController();
    const running = execute(
      tool(),
      { sql: "SELECT count(*) FROM generate_series(1, 100000000000)" },
      testToolContext({ signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error("cancelled")), 200);
    await expect(running).rejects.toThrow(/cancel/);
  });

  it("follows the sensitive-table provider as it changes", async () => {
    expect(await classify(tool(), { sql: "SELECT last4 FROM payment_methods" })).toBe("SENSITIVE_READ");
    sensitive = ["invoices"];
    expect(await classify(tool(), { sql: "SELECT last4 FROM payment_methods" })).toBe("READ");
    expect(await classify(tool(), { sql: "SELECT * FROM invoices" })).toBe("SENSITIVE_READ");
    sensitive = ["payment_methods"];
  });

  it("never takes the read path for a write, whatever the class an admin chose", async () => {
    // A write classified READ by an admin override still runs in the write transaction and ledger.
    const before = Number(await scalar("SELECT count(*) FROM customers"));
    const result = await execute(tool(), {
      sql: "INSERT INTO customers (name, email, country, plan) VALUES ('Read Path', 'read.path@example.org', 'DE', 'free')",
    });
    expect(result.readOnly).toBe(false);
    expect(Number(await scalar("SELECT count(*) FROM customers"))).toBe(before + 1);
    await execute(tool(), { sql: "DELETE FROM customers WHERE email = 'read.path@example.org'" });
  });
});

describe("writes: the preview is a rolled-back dry run that matches execution", () => {
  it("previews the demo's delete with cascades and samples, changes nothing, then executes the same", async () => {
    const sql = "DELETE FROM customers WHERE email LIKE '%@example.test'";
    expect(await classify(tool(), { sql })).toBe("DESTRUCTIVE");
    const orders = Number(
      await scalar(
        "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email LIKE '%@example.test'",
      ),
    );
    const shown = await preview(tool(), { sql });
    expect(shown.summary).toMatch(new RegExp(`^DELETE 4 rows; cascades to ${orders} in orders`));
    expect(shown.detail).toContain("customers: 4 rows deleted");
    expect(shown.detail).toContain('"email":"qa+1@example.test"');
    expect(shown.detail).toContain(
      "payment_methods: 4 rows deleted\n  (rows not shown: the table is marked sensitive)",
    );
    expect(shown.detail).not.toMatch(/"last4"/);
    expect(Number(await scalar("SELECT count(*) FROM customers WHERE email LIKE '%@example.test'"))).toBe(4);

    const context = testToolContext();
    const result = await execute(tool(), { sql }, context);
    expect(result).toMatchObject({ readOnly: false, replayed: false });
    expect(result.statements[0]).toMatchObject({ command: "DELETE", rowCount: 4 });
    expect(Number(await scalar("SELECT count(*) FROM customers WHERE email LIKE '%@example.test'"))).toBe(0);

    // A retried execution (same idempotency key) does not run again.
    const again = await execute(tool(), { sql }, context);
    expect(again).toMatchObject({ replayed: true, statements: [{ command: "DELETE", rowCount: 4 }] });
  });

  it("shows before and after rows of an UPDATE, and RETURNING rows on execution", async () => {
    const sql = "UPDATE customers SET plan = 'enterprise' WHERE id IN (1, 2) RETURNING id, plan";
    const shown = await preview(tool(), { sql });
    expect(shown.summary).toBe("UPDATE 2 rows");
    expect(shown.detail).toMatch(/before: \{.*"plan":"(free|starter|business|enterprise)"/);
    expect(shown.detail).toMatch(/after: {2}\{.*"plan":"enterprise"/);
    const result = await execute(tool(), { sql });
    expect(result.statements[0].rows).toEqual([
      [1, "enterprise"],
      [2, "enterprise"],
    ]);
  });

  it("applies a write exactly once when two executions with one key race", async () => {
    const sql = "INSERT INTO customers (name, email, country, plan) VALUES ('Once', 'once@example.org', 'FR', 'free')";
    const context = testToolContext();
    const outcomes = await Promise.all([execute(tool(), { sql }, context), execute(tool(), { sql }, context)]);
    expect(outcomes.map((outcome) => outcome.replayed).sort()).toEqual([false, true]);
    expect(Number(await scalar("SELECT count(*) FROM customers WHERE email = 'once@example.org'"))).toBe(1);
  });

  it("rolls a failing batch back completely, so it may be retried", async () => {
    const sql =
      "UPDATE customers SET plan = 'x-broken' WHERE id = 3; INSERT INTO orders (customer_id, status, total_cents) VALUES (3, 'nonsense', 1)";
    await expect(preview(tool(), { sql })).rejects.toThrow(/check constraint/);
    const context = testToolContext();
    await expect(execute(tool(), { sql }, context)).rejects.toThrow(/check constraint/);
    expect(await scalar("SELECT plan FROM customers WHERE id = 3")).not.toBe("x-broken");
    expect(
      Number(
        await scalar(`SELECT count(*) FROM airlock.sql_executions WHERE idempotency_key = '${context.idempotencyKey}'`),
      ),
    ).toBe(0);
  });

  it("does not dry-run what a rollback cannot undo", async () => {
    const before = Number(await scalar("SELECT last_value FROM customers_id_seq"));
    const shown = await preview(tool(), { sql: "SELECT setval('customers_id_seq', 9999)" });
    expect(shown.summary).toMatch(/not dry-run/);
    expect(shown.detail).toContain("calls setval(), which may have side effects");
    expect(Number(await scalar("SELECT last_value FROM customers_id_seq"))).toBe(before);
    const ddl = await preview(tool(), { sql: "DROP TABLE invoices" });
    expect(ddl.summary).toMatch(/^DROP: not dry-run/);
    expect(Number(await scalar("SELECT count(*) FROM invoices"))).toBeGreaterThan(0);
  });

  it("refuses several statements smuggled into one through the cursor of a read", async () => {
    // Each statement is sent on its own through the extended protocol: even a parser slip could not chain two.
    const result = await execute(tool(), { sql: "SELECT 1 AS one; SELECT 2 AS two" });
    expect(result.statements.map((statement: { rows: unknown[][] }) => statement.rows)).toEqual([[[1]], [[2]]]);
  });

  it("reports facts policy rules can match on", async () => {
    const facts = await tool().facts?.({
      sql: "DELETE FROM orders WHERE customer_id IN (SELECT customer_id FROM payment_methods)",
    });
    expect(facts).toEqual({
      statementTypes: ["DELETE"],
      tables: ["orders", "payment_methods"],
      writeTables: ["orders"],
      functions: [],
      statementCount: 1,
      sensitiveTables: ["payment_methods"],
    });
  });
});
