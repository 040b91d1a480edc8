/**
 * A plain node-postgres pool for the hot paths, where Prisma's per-query cost shows:
 * the engine's per-step write (run-write.ts, one prepared statement) and sending a
 * message (a transaction of several statements in ONE round trip: PostgreSQL's simple
 * query protocol accepts many statements per message). Values in such batches are inlined
 * as properly escaped literals (pg's escapeLiteral; standard_conforming_strings is on by
 * default). Prisma stays the client for everything else.
 */
import pg from "pg";
import { env } from "../env";
import { databaseUrl } from "./client";

const globalForPool = globalThis as unknown as { airlockSqlPool?: { url: string; pool: pg.Pool } };

function pool(): pg.Pool {
  const url = databaseUrl();
  if (globalForPool.airlockSqlPool?.url !== url) {
    void globalForPool.airlockSqlPool?.pool.end().catch(() => {});
    const created = new pg.Pool({ connectionString: url, max: env().DATABASE_SQL_POOL_SIZE, allowExitOnIdle: true });
    created.on("error", () => {}); // an idle client's error is reported to whoever uses it next
    // A client the server drops while the pool is ending it (a restart, DROP DATABASE … FORCE)
    // emits an error with nobody listening any more: without a listener, an uncaught exception.
    created.on("connect", (client) => client.on("error", () => {}));
    globalForPool.airlockSqlPool = { url, pool: created };
  }
  return globalForPool.airlockSqlPool.pool;
}

export async function closeSqlPool(): Promise<void> {
  const current = globalForPool.airlockSqlPool;
  globalForPool.airlockSqlPool = undefined;
  await current?.pool.end().catch(() => {});
}

/** SQL text passed through literal() as is. */
export class RawSql {
  constructor(readonly text: string) {}
}

/**
 * PostgreSQL text cannot hold NUL (and jsonb refuses \u0000): a model or a tool that emits
 * one must not make a whole step unwritable, so it is stored as U+FFFD instead.
 */
function withoutNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}

/** Any JSON value as JSON text Postgres accepts as jsonb (NUL replaced in every string). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item) => (typeof item === "string" ? withoutNul(item) : item));
}

/** Any JSON value (strings included) as a jsonb literal. */
export function jsonb(value: unknown): RawSql {
  return new RawSql(`${pg.escapeLiteral(jsonText(value))}::jsonb`);
}

/** A SQL literal for any value: strings, numbers, booleans, null, dates, or JSON (as jsonb). */
export function literal(value: unknown): string {
  if (value instanceof RawSql) return value.text;
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`Cannot write ${value} to SQL`);
    return String(value);
  }
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (value instanceof Date) return `${pg.escapeLiteral(value.toISOString())}::timestamp(3)`;
  if (typeof value === "string") return pg.escapeLiteral(withoutNul(value));
  return `${pg.escapeLiteral(JSON.stringify(value))}::jsonb`;
}

/** SQL text with `$n` placeholders replaced by literals (numbered from 1). */
export function sql(text: string, ...values: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, index: string) => {
    const position = Number(index) - 1;
    if (position < 0 || position >= values.length) throw new Error(`No value for $${index}`);
    return literal(values[position]);
  });
}

/**
 * `'key', alias."key", …` for the fields of a Prisma select, to put in json_build_object:
 * JSON SQL that returns what the select's payload type says, its shape not written again
 * by hand. (No field of the schema is mapped to another column name.)
 */
export function jsonFieldsOf(select: Record<string, true>, alias: string): string {
  return Object.keys(select)
    .map((key) => {
      if (!/^[A-Za-z]+$/.test(key)) throw new Error(`Not a column name: ${key}`);
      return `'${key}', ${alias}."${key}"`;
    })
    .join(", ");
}

export class BatchError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail?: string,
  ) {
    super(message);
    this.name = "BatchError";
  }
}

/**
 * One parameterized statement returning at most one row. With a name, it is prepared once
 * per connection and only bound and executed after that (the engine's per-step write).
 */
export async function queryOne<Row extends pg.QueryResultRow>(
  text: string,
  values: unknown[],
  name?: string,
): Promise<Row | null> {
  return (await queryRows<Row>(text, values, name))[0] ?? null;
}

/**
 * The server refused the statement itself (severity ERROR: a constraint, a deadlock, a
 * timeout): it was rolled back and nothing of it was written, so its parts may be retried
 * one by one. A FATAL (the server shutting down, the connection terminated) is not: it is
 * the connection's end, reported as the database being unavailable.
 */
export function refusedByServer(error: unknown): boolean {
  return error instanceof pg.DatabaseError && error.severity === "ERROR";
}

/** One parameterized statement's rows; with a name, prepared once per connection (see queryOne). */
export async function queryRows<Row extends pg.QueryResultRow>(
  text: string,
  values: unknown[],
  name?: string,
): Promise<Row[]> {
  const result = await pool().query<Row>(name ? { name, text, values } : { text, values });
  return result.rows;
}

/** Runs the statements as one transaction in one round trip; any failure rolls all back. */
export async function runInOneRoundTrip(statements: string[]): Promise<pg.QueryResult[]> {
  const client = await pool().connect();
  try {
    const results = await client.query(`BEGIN;\n${statements.join(";\n")};\nCOMMIT;`);
    const list = (Array.isArray(results) ? results : [results]) as pg.QueryResult[];
    return list.slice(1, -1);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    const pgError = error as { message?: string; code?: string; detail?: string };
    throw new BatchError(pgError.message ?? String(error), pgError.code, pgError.detail);
  } finally {
    client.release();
  }
}
