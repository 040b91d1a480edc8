/**
 * The functions Airlock keeps in PostgreSQL (PL/pgSQL: the engine's write, queueing a
 * run, the audit chain), each declared once in a canonical, reviewed file
 * prisma/functions/<name>.sql holding one `CREATE OR REPLACE FUNCTION "<name>"`.
 * Migrations apply those files (`npm run db:migration` copies every changed one into the
 * new migration), and the database-functions test compares what the migrations leave in
 * the database with the files, so neither can change without the other.
 *
 * Both sides are compared as PostgreSQL itself prints them (pg_get_functiondef): the
 * files are applied inside a transaction that is rolled back, so formatting PostgreSQL
 * normalizes (quoting, spacing of the header) never counts as a difference, and anything
 * it keeps (the body, the signature, the language, volatility) does.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";

export const FUNCTIONS_DIRECTORY = path.join("prisma", "functions");

/** Every function of ours is named with this prefix; the test holds all of them to a file. */
export const FUNCTION_PREFIX = "airlock_";

export interface CanonicalFunction {
  name: string;
  /** Path relative to the project root, for messages. */
  file: string;
  sql: string;
}

export type FunctionDrift =
  | {
      name: string;
      problem: "differs";
      file: string;
      database: string[];
      canonical: string[];
      /** Signatures in the database that the file no longer declares (the migration drops them). */
      staleIdentityArguments: string[];
    }
  | { name: string; problem: "no-file"; database: string[]; identityArguments: string[] }
  | { name: string; problem: "not-in-database"; file: string };

/** The file's one statement must create the function the file is named after. */
function checkCanonicalFile(name: string, file: string, sql: string): void {
  if (!name.startsWith(FUNCTION_PREFIX)) {
    throw new Error(`${file}: a database function's name starts with ${FUNCTION_PREFIX}.`);
  }
  const created = [...sql.matchAll(/CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+"?([a-z_0-9]+)"?\s*\(/gi)].map(
    (match) => match[1],
  );
  if (created.length !== 1 || created[0] !== name || !/^\s*(--[^\n]*\n\s*)*CREATE\s+OR\s+REPLACE\s/i.test(sql)) {
    throw new Error(`${file} must hold exactly one \`CREATE OR REPLACE FUNCTION "${name}"(…)\`.`);
  }
}

export async function readCanonicalFunctions(projectRoot: string): Promise<CanonicalFunction[]> {
  const directory = path.join(projectRoot, FUNCTIONS_DIRECTORY);
  const names = (await readdir(directory)).filter((entry) => entry.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (entry) => {
      const name = entry.slice(0, -".sql".length);
      const file = path.join(FUNCTIONS_DIRECTORY, entry);
      const sql = await readFile(path.join(directory, entry), "utf8");
      checkCanonicalFile(name, file, sql);
      return { name, file, sql };
    }),
  );
}

interface InstalledFunction {
  name: string;
  identityArguments: string;
  definition: string;
}

async function installedFunctions(client: pg.ClientBase): Promise<InstalledFunction[]> {
  const { rows } = await client.query<InstalledFunction>(
    `SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS "identityArguments",
            pg_get_functiondef(p.oid) AS definition
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = current_schema() AND starts_with(p.proname, $1)
     ORDER BY p.proname, 2`,
    [FUNCTION_PREFIX],
  );
  return rows;
}

function definitionsOf(functions: InstalledFunction[], name: string): string[] {
  return functions.filter((item) => item.name === name).map((item) => item.definition);
}

/**
 * What differs between the functions in the database the client is connected to and the
 * canonical files. Applies the files inside a transaction it rolls back, so the database
 * is left as it was; a file whose signature differs from the installed function shows
 * up as a difference too (PostgreSQL would add an overload beside the old one).
 */
export async function compareWithCanonicalFunctions(
  client: pg.ClientBase,
  canonical: CanonicalFunction[],
): Promise<FunctionDrift[]> {
  const installed = await installedFunctions(client);
  let rendered: InstalledFunction[];
  await client.query("BEGIN");
  try {
    for (const item of canonical) {
      await client.query(item.sql).catch((error: Error) => {
        // e.g. a changed return type, which CREATE OR REPLACE refuses: that migration needs a DROP first.
        throw new Error(`${item.file} cannot be applied over the migrated database: ${error.message}`);
      });
    }
    rendered = await installedFunctions(client);
  } finally {
    await client.query("ROLLBACK");
  }
  const drift: FunctionDrift[] = [];
  for (const item of canonical) {
    const database = definitionsOf(installed, item.name);
    const fromFile = definitionsOf(rendered, item.name);
    if (database.length === 0) drift.push({ name: item.name, problem: "not-in-database", file: item.file });
    else if (JSON.stringify(database) !== JSON.stringify(fromFile)) {
      const before = installed.filter((installedItem) => installedItem.name === item.name);
      const declared = rendered
        .filter((renderedItem) => renderedItem.name === item.name)
        .filter((renderedItem) => !before.some((beforeItem) => beforeItem.definition === renderedItem.definition))
        .map((renderedItem) => renderedItem.identityArguments);
      const staleIdentityArguments = before
        .map((beforeItem) => beforeItem.identityArguments)
        .filter((identity) => !declared.includes(identity));
      drift.push({
        name: item.name,
        problem: "differs",
        file: item.file,
        database,
        canonical: fromFile,
        staleIdentityArguments,
      });
    }
  }
  const filed = new Set(canonical.map((item) => item.name));
  for (const name of new Set(installed.map((item) => item.name))) {
    if (filed.has(name)) continue;
    const overloads = installed.filter((item) => item.name === name);
    drift.push({
      name,
      problem: "no-file",
      database: overloads.map((item) => item.definition),
      identityArguments: overloads.map((item) => item.identityArguments),
    });
  }
  return drift;
}

/**
 * The migration SQL that brings the database's functions to the canonical files: each
 * changed or new file as it is, and a DROP for a function whose file was removed.
 */
export function functionMigrationSql(drift: FunctionDrift[], canonical: CanonicalFunction[]): string {
  const drop = (name: string, identity: string) => `DROP FUNCTION "${name}"(${identity});\n`;
  const statements = drift.map((item) => {
    if (item.problem === "no-file") {
      const removed = `-- ${path.join(FUNCTIONS_DIRECTORY, `${item.name}.sql`)} was removed.\n`;
      return removed + item.identityArguments.map((identity) => drop(item.name, identity)).join("");
    }
    const file = canonical.find((candidate) => candidate.name === item.name);
    if (!file) throw new Error(`No canonical file for ${item.name}`);
    const stale = item.problem === "differs" ? item.staleIdentityArguments : [];
    return `-- From ${file.file} (edit that file, not this migration).\n${stale.map((identity) => drop(item.name, identity)).join("")}${file.sql.trimEnd()}\n`;
  });
  return statements.join("\n");
}
