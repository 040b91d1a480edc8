/**
 * The database's functions are the canonical files in prisma/functions: the migrated
 * database and the files agree, and the comparison notices each way they can part (a
 * file edited without a migration, a migration without the file, a function or a file
 * only on one side, a changed signature).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  type CanonicalFunction,
  compareWithCanonicalFunctions,
  FUNCTION_PREFIX,
  functionMigrationSql,
  readCanonicalFunctions,
} from "./database-functions";
import { findProjectRoot } from "./migrations";

let database: TestDatabase;
let client: pg.Client;
let canonical: CanonicalFunction[];

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
  canonical = await readCanonicalFunctions(findProjectRoot());
});
afterAll(async () => {
  await client?.end();
  await database?.drop();
});

function canonicalFile(name: string): CanonicalFunction {
  const file = canonical.find((item) => item.name === name);
  if (!file) throw new Error(`no canonical file ${name}`);
  return file;
}

/** The same file with one line added at the top of the function's body. */
function edited(file: CanonicalFunction, line: string): CanonicalFunction {
  return { ...file, sql: file.sql.replace("$$\n", () => `$$\n${line}\n`) };
}

describe("database functions", () => {
  it("every airlock_ function the migrations leave is its canonical file in prisma/functions, and each file is in the database", async () => {
    expect(canonical.length).toBeGreaterThan(0);
    expect(await compareWithCanonicalFunctions(client, canonical)).toEqual([]);
    const { rows } = await client.query<{ name: string }>(
      `SELECT proname AS name FROM pg_proc WHERE starts_with(proname, $1) ORDER BY 1`,
      [FUNCTION_PREFIX],
    );
    expect(rows.map((row) => row.name)).toEqual([...new Set(canonical.map((item) => item.name))].sort());
  });

  it("notices a file edited without a migration, and leaves the database as it was", async () => {
    const changed = edited(canonicalFile("airlock_write_run"), "-- reviewed again");
    const others = canonical.filter((item) => item.name !== changed.name);
    const drift = await compareWithCanonicalFunctions(client, [...others, changed]);
    expect(drift).toMatchObject([{ name: "airlock_write_run", problem: "differs", staleIdentityArguments: [] }]);
    expect(await compareWithCanonicalFunctions(client, canonical)).toEqual([]);
  });

  it("notices a migration that changed a function without its file, a function with no file, and a file with no function", async () => {
    const scratch = await createTestDatabase();
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    try {
      await other.query(edited(canonicalFile("airlock_queue_run"), "-- changed by hand").sql);
      await other.query(`CREATE FUNCTION "airlock_unfiled"() RETURNS integer AS $$ SELECT 1 $$ LANGUAGE sql`);
      await other.query(`DROP FUNCTION "airlock_append_audit"`);
      const drift = await compareWithCanonicalFunctions(other, canonical);
      expect(drift.map((item) => [item.name, item.problem])).toEqual([
        ["airlock_append_audit", "not-in-database"],
        ["airlock_queue_run", "differs"],
        ["airlock_unfiled", "no-file"],
      ]);
    } finally {
      await other.end();
      await scratch.drop();
    }
  });

  it("the migration it writes brings a database to the files: changed and new files as they are, a DROP for a removed one, and for a changed signature", async () => {
    const scratch = await createTestDatabase();
    const other = new pg.Client({ connectionString: scratch.url });
    await other.connect();
    try {
      await other.query(`CREATE FUNCTION "airlock_unfiled"() RETURNS integer AS $$ SELECT 1 $$ LANGUAGE sql`);
      const files = [
        ...canonical.filter((item) => item.name !== "airlock_audit_append_only"),
        edited(canonicalFile("airlock_audit_append_only"), "  -- a new line"),
        {
          name: "airlock_answer",
          file: "prisma/functions/airlock_answer.sql",
          sql: `CREATE OR REPLACE FUNCTION "airlock_answer"(p_question TEXT) RETURNS integer AS $$ SELECT 42 $$ LANGUAGE sql;\n`,
        },
      ];
      await other.query(`CREATE FUNCTION "airlock_answer"() RETURNS integer AS $$ SELECT 41 $$ LANGUAGE sql`);
      const migration = functionMigrationSql(await compareWithCanonicalFunctions(other, files), files);
      expect(migration).toContain('DROP FUNCTION "airlock_unfiled"();');
      expect(migration).toContain('DROP FUNCTION "airlock_answer"();');
      expect(migration).toContain("  -- a new line");
      await other.query(migration);
      expect(await compareWithCanonicalFunctions(other, files)).toEqual([]);
    } finally {
      await other.end();
      await scratch.drop();
    }
  });

  it("refuses a file that does not create the function it is named after", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "airlock-functions-"));
    try {
      await mkdir(path.join(root, "prisma", "functions"), { recursive: true });
      await writeFile(
        path.join(root, "prisma", "functions", "airlock_one.sql"),
        `CREATE OR REPLACE FUNCTION "airlock_two"() RETURNS integer AS $$ SELECT 2 $$ LANGUAGE sql;\n`,
      );
      await expect(readCanonicalFunctions(root)).rejects.toThrow(/airlock_one\.sql must hold exactly one/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
