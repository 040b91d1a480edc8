import { describe, expect, it } from "vitest";
import type { RiskClass } from "../../shared/risk";
import { analyzeSql, classifySql } from "./classify-sql";

const SENSITIVE = ["payment_methods", "hr.salaries"];

async function classOf(sql: string): Promise<RiskClass> {
  return classifySql(await analyzeSql(sql), SENSITIVE);
}

describe("SQL classification by the PostgreSQL parser", () => {
  const cases: [string, RiskClass][] = [
    // Plain reads
    ["SELECT 1", "READ"],
    ["select count(*) from orders where created_at >= now() - interval '30 days'", "READ"],
    ["SELECT c.name, sum(o.total_cents) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY 1", "READ"],
    ["WITH recent AS (SELECT * FROM orders WHERE status = 'paid') SELECT count(*) FROM recent", "READ"],
    ["TABLE customers", "READ"],
    ["VALUES (1, 'a'), (2, 'b')", "READ"],
    ["EXPLAIN SELECT * FROM orders", "READ"],
    ["EXPLAIN ANALYZE SELECT * FROM orders", "READ"],
    ["SHOW search_path", "READ"],
    ["SELECT pg_catalog.lower(name), coalesce(plan, 'free') FROM customers", "READ"],
    ["SELECT 'DELETE FROM customers' AS text", "READ"],
    ['SELECT "delete" FROM (SELECT 1 AS "delete") AS t', "READ"],
    // Comments hide nothing, and are not statements
    ["SELECT 1 -- ; DROP TABLE customers", "READ"],
    ["SELECT 1 /* ; DROP TABLE customers; */", "READ"],
    ["/* harmless */ SELECT 1; /* x */ DROP TABLE customers", "DESTRUCTIVE"],
    ["SELECT 1; DROP TABLE x", "DESTRUCTIVE"],
    ["SELECT 1;\nDELETE FROM orders", "DESTRUCTIVE"],
    // Writes anywhere in the tree
    ["WITH d AS (DELETE FROM customers RETURNING *) SELECT count(*) FROM d", "DESTRUCTIVE"],
    ["WITH u AS (UPDATE orders SET status = 'paid' RETURNING id) SELECT * FROM u", "DESTRUCTIVE"],
    ["WITH i AS (INSERT INTO orders (customer_id) VALUES (1) RETURNING id) SELECT 1", "DESTRUCTIVE"],
    ["SELECT * FROM orders FOR UPDATE", "DESTRUCTIVE"],
    ["SELECT * FROM orders FOR SHARE SKIP LOCKED", "DESTRUCTIVE"],
    ["SELECT * INTO copy_of_orders FROM orders", "DESTRUCTIVE"],
    ["EXPLAIN ANALYZE DELETE FROM orders", "DESTRUCTIVE"],
    ["EXPLAIN DELETE FROM orders", "READ"],
    ["INSERT INTO customers (name) VALUES ('x')", "DESTRUCTIVE"],
    ["UPDATE customers SET plan = 'free'", "DESTRUCTIVE"],
    ["DELETE FROM customers WHERE email LIKE '%@example.test'", "DESTRUCTIVE"],
    ["MERGE INTO customers c USING staging s ON c.id = s.id WHEN MATCHED THEN DELETE", "DESTRUCTIVE"],
    // Functions with side effects, or unknown ones
    ["SELECT nextval('orders_id_seq')", "DESTRUCTIVE"],
    ["SELECT setval('orders_id_seq', 1)", "DESTRUCTIVE"],
    ["SELECT set_config('statement_timeout', '0', false)", "DESTRUCTIVE"],
    ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "DESTRUCTIVE"],
    ["SELECT pg_read_file('/etc/passwd')", "DESTRUCTIVE"],
    ["SELECT pg_sleep(3600)", "DESTRUCTIVE"],
    ["SELECT * FROM dblink('host=evil', 'DROP TABLE x') AS t(a int)", "DESTRUCTIVE"],
    ["SELECT lo_import('/etc/shadow')", "DESTRUCTIVE"],
    ["SELECT my_schema.archive_old_orders()", "DESTRUCTIVE"],
    // A quoted name keeps its case: "NOW" is not the built-in now(), but a user's function
    ['SELECT "NOW"()', "DESTRUCTIVE"],
    ['SELECT "Lower"(name) FROM customers', "DESTRUCTIVE"],
    ['SELECT "PG_CATALOG".now()', "DESTRUCTIVE"],
    ['SELECT pg_catalog."Now"()', "DESTRUCTIVE"],
    ["SELECT public.now()", "DESTRUCTIVE"],
    ['SELECT "now"()', "READ"],
    ["SELECT NOW(), LOWER('A')", "READ"],
    ["SELECT PG_CATALOG.NOW()", "READ"],
    ['SELECT "pg_catalog"."now"()', "READ"],
    ["SELECT count(*) FROM orders WHERE public.is_overdue(id)", "DESTRUCTIVE"],
    ["SELECT 1 OPERATOR(public.===) 2", "DESTRUCTIVE"],
    // DDL, COPY, procedural code, settings
    ["DROP TABLE customers", "DESTRUCTIVE"],
    ["TRUNCATE orders", "DESTRUCTIVE"],
    ["CREATE TABLE t (id int)", "DESTRUCTIVE"],
    ["ALTER TABLE customers ADD COLUMN x int", "DESTRUCTIVE"],
    ["CREATE INDEX ON orders (status)", "DESTRUCTIVE"],
    ["COPY customers TO '/tmp/customers.csv'", "DESTRUCTIVE"],
    ["COPY (SELECT 1) TO PROGRAM 'rm -rf /'", "DESTRUCTIVE"],
    ["DO $$ BEGIN DELETE FROM orders; END $$", "DESTRUCTIVE"],
    ["CALL archive_orders()", "DESTRUCTIVE"],
    ["SET statement_timeout = 0", "DESTRUCTIVE"],
    ["GRANT ALL ON customers TO public", "DESTRUCTIVE"],
    ["LISTEN jobs", "DESTRUCTIVE"],
    ["PREPARE q AS DELETE FROM orders", "DESTRUCTIVE"],
    ["VACUUM orders", "DESTRUCTIVE"],
    // Sensitive tables
    ["SELECT * FROM payment_methods", "SENSITIVE_READ"],
    ["SELECT * FROM public.payment_methods", "SENSITIVE_READ"],
    ["SELECT * FROM PAYMENT_METHODS", "SENSITIVE_READ"],
    ['SELECT * FROM "payment_methods"', "SENSITIVE_READ"],
    [
      "SELECT c.name FROM customers c WHERE EXISTS (SELECT 1 FROM payment_methods p WHERE p.customer_id = c.id)",
      "SENSITIVE_READ",
    ],
    ["SELECT * FROM hr.salaries", "SENSITIVE_READ"],
    ["SELECT * FROM salaries", "READ"],
    ["SELECT 1; SELECT * FROM payment_methods", "SENSITIVE_READ"],
    ["SELECT * FROM pg_authid", "SENSITIVE_READ"],
    ["SELECT * FROM pg_catalog.pg_shadow", "SENSITIVE_READ"],
    // Statistics hold other tables' values (most common values, histogram bounds)
    ["SELECT most_common_vals FROM pg_stats WHERE tablename = 'payment_methods'", "SENSITIVE_READ"],
    ["SELECT * FROM pg_catalog.pg_stats", "SENSITIVE_READ"],
    ["SELECT * FROM PG_STATS", "SENSITIVE_READ"],
    ['SELECT * FROM "pg_stats"', "SENSITIVE_READ"],
    ['SELECT * FROM "pg_catalog"."pg_statistic"', "SENSITIVE_READ"],
    ['SELECT * FROM "PG_STATS"', "SENSITIVE_READ"], // another relation in PostgreSQL; matching errs towards sensitive
    ["SELECT * FROM pg_stats_ext", "SENSITIVE_READ"],
    ["SELECT * FROM pg_stats_ext_exprs", "SENSITIVE_READ"],
    ["SELECT * FROM pg_statistic_ext_data", "SENSITIVE_READ"],
    [
      "SELECT count(*) FROM orders WHERE EXISTS (SELECT 1 FROM pg_stats s WHERE s.tablename = 'orders')",
      "SENSITIVE_READ",
    ],
    ["WITH s AS (SELECT histogram_bounds FROM pg_stats) SELECT * FROM s", "SENSITIVE_READ"],
    ["SELECT query FROM pg_stat_activity", "SENSITIVE_READ"],
    ["SELECT query FROM pg_stat_statements", "SENSITIVE_READ"],
    ["SELECT data FROM pg_largeobject", "SENSITIVE_READ"],
    ["SELECT relname, n_live_tup FROM pg_stat_user_tables", "READ"],
    ["SELECT tablename FROM pg_tables", "READ"],
    ["SELECT * FROM pg_statistics_overview", "READ"],
    // Quoted and mixed-case names of sensitive tables
    ['SELECT * FROM "Payment_Methods"', "SENSITIVE_READ"],
    ['SELECT * FROM "hr"."salaries"', "SENSITIVE_READ"],
    ['SELECT * FROM "HR".Salaries', "SENSITIVE_READ"],
    ["SELECT * FROM other.salaries", "READ"],
    ["DELETE FROM payment_methods", "DESTRUCTIVE"],
    ["SELECT * FROM payment_methods; DELETE FROM orders", "DESTRUCTIVE"],
  ];

  it.each(cases)("%s → %s", async (sql, expected) => {
    expect(await classOf(sql)).toBe(expected);
  });

  it("refuses what it cannot parse, and transaction control, with PostgreSQL's message", async () => {
    await expect(analyzeSql("SELEC 1")).rejects.toThrow(/does not parse: syntax error at or near "SELEC"/);
    await expect(analyzeSql("SELECT 1 /* unterminated")).rejects.toThrow(/does not parse/);
    await expect(analyzeSql("   ")).rejects.toThrow(/no statement/);
    await expect(analyzeSql("BEGIN; DELETE FROM orders; COMMIT")).rejects.toThrow(/Transaction control/);
    await expect(analyzeSql("SELECT 1; ROLLBACK")).rejects.toThrow(/Transaction control/);
  });

  it("cuts each statement's own text, comments and multi-byte characters included", async () => {
    const analysis = await analyzeSql("SELECT 'ünïcødé' AS a; /* between */ DELETE FROM orders WHERE id = 1;");
    expect(analysis.statements.map((statement) => statement.text)).toEqual([
      "SELECT 'ünïcødé' AS a",
      "DELETE FROM orders WHERE id = 1",
    ]);
  });

  it("reports facts: types, tables, write targets, reasons, and whether a dry run is safe", async () => {
    const [statement] = (
      await analyzeSql(
        "WITH gone AS (DELETE FROM customers WHERE email LIKE '%@example.test' RETURNING id) SELECT count(*) FROM gone",
      )
    ).statements;
    expect(statement).toMatchObject({
      type: "SELECT",
      risk: "DESTRUCTIVE",
      reasons: ["contains DELETE"],
      tables: ["customers", "gone"],
      writeTargets: ["customers"],
      dryRunnable: true,
    });
    const [unsafe] = (await analyzeSql("DELETE FROM orders WHERE pg_terminate_backend(42)")).statements;
    expect(unsafe?.dryRunnable).toBe(false);
    const [insert] = (await analyzeSql("INSERT INTO archive SELECT * FROM orders WHERE status = 'void'")).statements;
    expect(insert).toMatchObject({ reasons: ["INSERT is not a read"], writeTargets: ["archive"], dryRunnable: true });
    const [ddl] = (await analyzeSql("DROP TABLE orders")).statements;
    expect(ddl).toMatchObject({ type: "DROP", dryRunnable: false, reasons: ["DROP is not a read"] });
  });
});
