/**
 * A fresh database per test file, cloned from the migrated template, and the process
 * pointed at it (DATABASE_URL, Prisma client, LISTEN connection).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { connectDatabaseForTests } from "../db/client";
import { closeNotifications } from "../db/notifications";
import { closeSqlPool } from "../db/sql-batch";

export interface TestDatabase {
  url: string;
  name: string;
  /** A plain pg client for assertions that look at raw rows. */
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject("postgresServerUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "airlock_template"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(serverUrl, name);
  const prisma = await connectDatabaseForTests(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // pool.end() resolves before its connections have closed; DROP … WITH (FORCE) then ends
  // one still closing, which is an 'error' on the pool: unheard, an uncaught exception that
  // fails whichever test file is running (seen in CI, from run-events.test.ts).
  pool.on("error", () => {});
  return {
    url,
    name,
    query: async (sql, values) => (await pool.query(sql, values as unknown[])).rows,
    async drop() {
      await closeNotifications();
      await prisma.$disconnect();
      await closeSqlPool();
      await pool.end();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
