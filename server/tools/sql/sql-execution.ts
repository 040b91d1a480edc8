/**
 * Running classified SQL against the target database. Every call gets a connection of its
 * own (so a `SET` in one call cannot leak into the next) and a transaction of its own:
 * reads in a READ ONLY transaction behind a cursor with a row cap; write previews in a
 * transaction that is always rolled back, with temporary row triggers recording what
 * changed; approved writes in a transaction that also records the idempotency key in a
 * ledger table of the target database, so a retried execution applies once. User
 * statements go through the extended protocol, which refuses more than one statement.
 */
import pg from "pg";
import type { ParsedStatement } from "./classify-sql";

export interface StatementResult {
  statement: string;
  command: string;
  rowCount: number | null;
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

export interface ExecutionLimits {
  statementTimeoutMs: number;
  maxRows: number;
}

export const LEDGER_TABLE = "airlock.sql_executions";
const MAX_TEXT_CHARACTERS = 2000;

/** JSON-friendly values: dates as ISO strings, bytes as hex, long text cut. */
export function plainValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) {
    const hex = value.subarray(0, MAX_TEXT_CHARACTERS / 2).toString("hex");
    return `\\x${hex}${value.length > MAX_TEXT_CHARACTERS / 2 ? "…" : ""}`;
  }
  if (typeof value === "string" && value.length > MAX_TEXT_CHARACTERS) return `${value.slice(0, MAX_TEXT_CHARACTERS)}…`;
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

/** Connects, runs `work`, and always disconnects; an abort cancels the running query on the server. */
export async function withConnection<T>(
  url: string,
  signal: AbortSignal | undefined,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const client = new pg.Client({ connectionString: url, application_name: "airlock-sql-tool" });
  await client.connect();
  const cancel = () => {
    // A query blocks its connection, so the cancel goes through a second one.
    const canceller = new pg.Client({ connectionString: url });
    const processId = (client as unknown as { processID?: number }).processID;
    void canceller
      .connect()
      .then(() => canceller.query("SELECT pg_cancel_backend($1)", [processId]))
      .catch(() => {})
      .finally(() => canceller.end().catch(() => {}));
  };
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    return await work(client);
  } finally {
    signal?.removeEventListener("abort", cancel);
    await client.end().catch(() => {});
  }
}

async function runStatement(client: pg.Client, text: string, maxRows: number): Promise<StatementResult> {
  const result = await client.query({ text, rowMode: "array", queryMode: "extended" } as pg.QueryConfig);
  const rows = (result.rows as unknown[][]) ?? [];
  return {
    statement: text,
    command: result.command ?? "",
    rowCount: result.rowCount ?? null,
    columns: (result.fields ?? []).map((field) => field.name),
    rows: rows.slice(0, maxRows).map((row) => row.map(plainValue)),
    truncated: rows.length > maxRows,
  };
}

async function setLimits(client: pg.Client, limits: ExecutionLimits): Promise<void> {
  await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.statementTimeoutMs))}`);
  // A preview or a write that waits on someone else's lock should fail, not hang the call.
  await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(Math.min(limits.statementTimeoutMs, 5000)))}`);
}

/** SELECTs (through a cursor, so only maxRows + 1 rows ever leave the server), EXPLAIN, SHOW. */
export async function runReadOnly(
  client: pg.Client,
  statements: ParsedStatement[],
  limits: ExecutionLimits,
): Promise<StatementResult[]> {
  await client.query("BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    await setLimits(client, limits);
    const results: StatementResult[] = [];
    for (const [index, statement] of statements.entries()) {
      if (statement.type !== "SELECT") {
        results.push(await runStatement(client, statement.text, limits.maxRows));
        continue;
      }
      const cursor = `airlock_rows_${index}`;
      await client.query({
        text: `DECLARE ${cursor} NO SCROLL CURSOR FOR ${statement.text}`,
        queryMode: "extended",
      } as pg.QueryConfig);
      const fetched = await runStatement(client, `FETCH FORWARD ${limits.maxRows + 1} FROM ${cursor}`, limits.maxRows);
      await client.query(`CLOSE ${cursor}`);
      results.push({
        ...fetched,
        statement: statement.text,
        command: "SELECT",
        rowCount: fetched.truncated ? null : fetched.rows.length,
      });
    }
    return results;
  } finally {
    await client.query("ROLLBACK").catch(() => {});
  }
}

export interface TableChanges {
  table: string;
  operation: "INSERT" | "UPDATE" | "DELETE";
  count: number;
  /** Up to sampleRows rows: before (UPDATE, DELETE) and after (INSERT, UPDATE). */
  samples: { before: Record<string, unknown> | null; after: Record<string, unknown> | null }[];
}

export interface DryRun {
  results: StatementResult[];
  changes: TableChanges[];
  /** Why no per-row changes could be recorded (e.g. no permission to add triggers). */
  captureError?: string;
}

const CAPTURE_FUNCTION = `
CREATE FUNCTION pg_temp.airlock_capture() RETURNS trigger LANGUAGE plpgsql AS $capture$
BEGIN
  INSERT INTO pg_temp.airlock_preview_changes (table_schema, table_name, operation, old_row, new_row)
  VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
          CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
          CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END
$capture$`;

/** The tables a write lands in, plus every table whose foreign keys cascade from them. */
async function tablesToWatch(client: pg.Client, targets: string[]): Promise<{ schema: string; name: string }[]> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `WITH RECURSIVE roots AS (
       SELECT to_regclass(target)::oid AS oid FROM unnest($1::text[]) AS target
     ), watched(oid) AS (
       SELECT oid FROM roots WHERE oid IS NOT NULL
       UNION
       SELECT constraint_row.conrelid FROM pg_constraint constraint_row
       JOIN watched ON constraint_row.confrelid = watched.oid WHERE constraint_row.contype = 'f'
     )
     SELECT namespace.nspname AS schema, class.relname AS name
     FROM watched JOIN pg_class class ON class.oid = watched.oid
     JOIN pg_namespace namespace ON namespace.oid = class.relnamespace
     WHERE class.relkind IN ('r', 'p')`,
    [targets],
  );
  return rows;
}

/**
 * Runs the statements and rolls everything back, reporting rows affected per statement and
 * per table (cascades included) with samples. Only call it for statements whose effects a
 * rollback fully undoes (ParsedStatement.dryRunnable or READ).
 */
export async function dryRun(
  client: pg.Client,
  statements: ParsedStatement[],
  limits: ExecutionLimits & { sampleRows: number },
): Promise<DryRun> {
  await client.query("BEGIN");
  try {
    await setLimits(client, limits);
    let captureError: string | undefined;
    await client.query("SAVEPOINT airlock_capture");
    try {
      await client.query(
        `CREATE TEMP TABLE airlock_preview_changes (
           seq bigint GENERATED ALWAYS AS IDENTITY, table_schema text, table_name text, operation text,
           old_row jsonb, new_row jsonb)`,
      );
      await client.query(CAPTURE_FUNCTION);
      const targets = statements.flatMap((statement) => statement.writeTargets);
      for (const table of await tablesToWatch(client, targets)) {
        await client.query(
          `CREATE TRIGGER airlock_preview_capture AFTER INSERT OR UPDATE OR DELETE ON ${client.escapeIdentifier(table.schema)}.${client.escapeIdentifier(table.name)} FOR EACH ROW EXECUTE FUNCTION pg_temp.airlock_capture()`,
        );
      }
    } catch (error) {
      captureError = error instanceof Error ? error.message : String(error);
      await client.query("ROLLBACK TO SAVEPOINT airlock_capture");
    }
    const results: StatementResult[] = [];
    for (const statement of statements) {
      results.push(await runStatement(client, statement.text, limits.maxRows));
    }
    const changes: TableChanges[] = [];
    if (captureError === undefined) {
      const { rows } = await client.query<{
        table_schema: string;
        table_name: string;
        operation: TableChanges["operation"];
        total: string;
        old_row: Record<string, unknown> | null;
        new_row: Record<string, unknown> | null;
        position: string;
      }>(
        `SELECT table_schema, table_name, operation, total, old_row, new_row, position FROM (
           SELECT *, count(*) OVER w AS total, row_number() OVER (w ORDER BY seq) AS position
           FROM pg_temp.airlock_preview_changes
           WINDOW w AS (PARTITION BY table_schema, table_name, operation)
         ) numbered WHERE position <= $1 ORDER BY min(seq) OVER (PARTITION BY table_schema, table_name, operation), seq`,
        [limits.sampleRows],
      );
      for (const row of rows) {
        const table = row.table_schema === "public" ? row.table_name : `${row.table_schema}.${row.table_name}`;
        let entry = changes.find((change) => change.table === table && change.operation === row.operation);
        if (!entry) {
          entry = { table, operation: row.operation, count: Number(row.total), samples: [] };
          changes.push(entry);
        }
        entry.samples.push({ before: row.old_row, after: row.new_row });
      }
    }
    return { results, changes, ...(captureError !== undefined ? { captureError } : {}) };
  } finally {
    await client.query("ROLLBACK").catch(() => {});
  }
}

let ledgerReady = new Map<string, Promise<void>>();

/** Creates the ledger table once per target database (and again after a failure). */
async function ensureLedger(client: pg.Client, url: string): Promise<void> {
  let ready = ledgerReady.get(url);
  if (!ready) {
    ready = (async () => {
      try {
        await client.query("CREATE SCHEMA IF NOT EXISTS airlock");
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
             idempotency_key text PRIMARY KEY,
             statement text NOT NULL,
             result jsonb,
             executed_at timestamptz NOT NULL DEFAULT now())`,
        );
      } catch (error) {
        // Two first calls racing on CREATE … IF NOT EXISTS: the loser sees a duplicate.
        const code = (error as { code?: string }).code;
        if (code !== "23505" && code !== "42P07" && code !== "42P06") throw error;
      }
    })();
    ledgerReady.set(url, ready);
    ready.catch(() => ledgerReady.delete(url));
  }
  await ready;
}

/** Tests drop and recreate databases under the same URL. */
export function forgetLedgers(): void {
  ledgerReady = new Map();
}

/**
 * Runs approved writes for real, in one transaction with the ledger row for the key. A
 * second execution with the same key waits for the first to commit, then finds its row
 * and returns the recorded result instead of running again.
 */
export async function runWrite(
  client: pg.Client,
  url: string,
  options: { statements: ParsedStatement[]; idempotencyKey: string; sql: string; limits: ExecutionLimits },
): Promise<{ results: StatementResult[]; replayed: boolean }> {
  await ensureLedger(client, url);
  await client.query("BEGIN");
  try {
    await setLimits(client, options.limits);
    // No lock_timeout for the ledger row: waiting for a concurrent twin to finish is the point.
    await client.query("SET LOCAL lock_timeout = 0");
    const claimed = await client.query(
      `INSERT INTO ${LEDGER_TABLE} (idempotency_key, statement) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [options.idempotencyKey, options.sql],
    );
    if (claimed.rowCount === 0) {
      await client.query("ROLLBACK");
      const { rows } = await client.query<{ result: { results: StatementResult[] } | null }>(
        `SELECT result FROM ${LEDGER_TABLE} WHERE idempotency_key = $1`,
        [options.idempotencyKey],
      );
      return { results: rows[0]?.result?.results ?? [], replayed: true };
    }
    await client.query(`SET LOCAL lock_timeout = ${Math.min(options.limits.statementTimeoutMs, 5000)}`);
    const results: StatementResult[] = [];
    for (const statement of options.statements) {
      results.push(await runStatement(client, statement.text, options.limits.maxRows));
    }
    await client.query(`UPDATE ${LEDGER_TABLE} SET result = $2 WHERE idempotency_key = $1`, [
      options.idempotencyKey,
      JSON.stringify({ results }),
    ]);
    await client.query("COMMIT");
    return { results, replayed: false };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
