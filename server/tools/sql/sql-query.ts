/**
 * sql_query: run SQL against the configured target database. The class comes from the
 * parsed statements (see classify-sql.ts): reads run at once in a READ ONLY transaction
 * with a timeout and a row cap; reads of admin-marked tables are SENSITIVE_READ; anything
 * else is DESTRUCTIVE, previewed by a rolled-back dry run (rows affected, cascades, before
 * and after samples) and, once approved, executed in one transaction exactly once per
 * idempotency key. How the statement is executed follows from its parse, never from the
 * class an admin may have overridden: a write never takes the read path.
 */
import { z } from "zod";
import { defineTool } from "../define-tool";
import {
  ALWAYS_SENSITIVE_TABLES,
  analyzeSql,
  classifySql,
  matchesSensitiveTable,
  type SqlAnalysis,
} from "./classify-sql";
import { dryRun, runReadOnly, runWrite, type TableChanges, withConnection } from "./sql-execution";

export interface SqlToolOptions {
  /** The target database; a function so it can be resolved when first used. */
  url: string | (() => string);
  /** Tables whose reading is SENSITIVE_READ; a provider, so an admin setting in the database can replace the env list. */
  sensitiveTables?: () => readonly string[] | Promise<readonly string[]>;
  statementTimeoutMs?: number;
  maxRows?: number;
  /** Before/after rows shown per table in a write preview. */
  sampleRows?: number;
}

const statementResultSchema = z.object({
  statement: z.string(),
  command: z.string(),
  rowCount: z.number().int().nullable(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  truncated: z.boolean(),
});

function formatRow(row: Record<string, unknown> | null): string {
  return row === null ? "—" : JSON.stringify(row);
}

function describeChanges(changes: TableChanges[], hidden: (table: string) => boolean): string[] {
  const verbs = { INSERT: "inserted", UPDATE: "updated", DELETE: "deleted" } as const;
  const lines: string[] = [];
  for (const change of changes) {
    lines.push("", `${change.table}: ${change.count} row${change.count === 1 ? "" : "s"} ${verbs[change.operation]}`);
    if (hidden(change.table)) {
      lines.push("  (rows not shown: the table is marked sensitive)");
      continue;
    }
    for (const sample of change.samples) {
      if (change.operation === "UPDATE") {
        lines.push(`  before: ${formatRow(sample.before)}`, `  after:  ${formatRow(sample.after)}`);
      } else {
        lines.push(`  ${formatRow(change.operation === "DELETE" ? sample.before : sample.after)}`);
      }
    }
    if (change.count > change.samples.length) lines.push(`  … and ${change.count - change.samples.length} more`);
  }
  return lines;
}

export function createSqlQueryTool(options: SqlToolOptions) {
  const limits = {
    statementTimeoutMs: options.statementTimeoutMs ?? 10_000,
    maxRows: options.maxRows ?? 200,
    sampleRows: options.sampleRows ?? 5,
  };
  const url = () => (typeof options.url === "function" ? options.url() : options.url);
  const sensitiveTables = async () => [...((await options.sensitiveTables?.()) ?? []), ...ALWAYS_SENSITIVE_TABLES];

  const describeAnalysis = (analysis: SqlAnalysis) =>
    analysis.statements.flatMap((statement) =>
      statement.reasons.length > 0 ? [`${statement.type}: ${statement.reasons.join("; ")}`] : [],
    );

  return defineTool({
    name: "sql_query",
    description: `Run SQL (PostgreSQL) on the company database. SELECT and EXPLAIN run at once (at most ${limits.maxRows} rows are returned); INSERT, UPDATE, DELETE, DDL and anything else wait for a human to approve them.`,
    input: z.object({ sql: z.string().min(1).max(100_000).describe("One or more PostgreSQL statements") }),
    output: z.object({
      statements: z.array(statementResultSchema),
      readOnly: z.boolean(),
      /** True when this call had already been executed: the recorded result is returned, nothing ran again. */
      replayed: z.boolean(),
    }),
    risk: "DESTRUCTIVE",
    idempotent: true,
    async classify(input) {
      return classifySql(await analyzeSql(input.sql), await sensitiveTables());
    },
    async facts(input) {
      const analysis = await analyzeSql(input.sql);
      const unique = (values: string[]) => [...new Set(values)].sort();
      const sensitive = await sensitiveTables();
      const tables = unique(analysis.statements.flatMap((statement) => statement.tables));
      return {
        statementTypes: unique(analysis.statements.map((statement) => statement.type)),
        tables,
        writeTables: unique(analysis.statements.flatMap((statement) => statement.writeTargets)),
        functions: unique(analysis.statements.flatMap((statement) => statement.functions)),
        statementCount: analysis.statements.length,
        sensitiveTables: tables.filter((table) => matchesSensitiveTable(table, sensitive)),
      };
    },
    async preview(input, context) {
      const analysis = await analyzeSql(input.sql);
      const sensitive = await sensitiveTables();
      const tables = [...new Set(analysis.statements.flatMap((statement) => statement.tables))];
      if (analysis.risk === "READ") {
        return {
          summary: `Read-only query on ${tables.length > 0 ? tables.join(", ") : "no tables"}`,
          detail: input.sql,
          format: "sql",
        };
      }
      const reasons = describeAnalysis(analysis);
      const blocked = analysis.statements.filter((statement) => statement.risk !== "READ" && !statement.dryRunnable);
      if (blocked.length > 0) {
        return {
          summary: `${analysis.statements.map((statement) => statement.type).join(", ")}: not dry-run (its effects could outlast a rollback)`,
          detail: [input.sql, "", "Why this needs approval:", ...reasons.map((reason) => `- ${reason}`)].join("\n"),
          format: "text",
        };
      }
      const outcome = await withConnection(url(), context.signal, (client) =>
        dryRun(client, analysis.statements, limits),
      );
      const counts = outcome.results.map(
        (result) => `${result.command} ${result.rowCount ?? "?"} row${result.rowCount === 1 ? "" : "s"}`,
      );
      const lines = [
        input.sql,
        "",
        "Dry run (rolled back):",
        ...outcome.results.map((result) => `- ${result.command}: ${result.rowCount ?? "?"} rows`),
        ...describeChanges(outcome.changes, (table) => matchesSensitiveTable(table, sensitive)),
        ...(outcome.captureError ? ["", `Row samples unavailable: ${outcome.captureError}`] : []),
      ];
      const cascades = outcome.changes.filter(
        (change) =>
          !analysis.statements.some((statement) =>
            statement.writeTargets.some((target) => target === change.table || target.endsWith(`.${change.table}`)),
          ),
      );
      return {
        summary: `${counts.join(", ")}${
          cascades.length > 0
            ? `; cascades to ${cascades.map((change) => `${change.count} in ${change.table}`).join(", ")}`
            : ""
        }`,
        detail: lines.join("\n"),
        format: "text",
      };
    },
    async execute(input, context) {
      const analysis = await analyzeSql(input.sql);
      if (analysis.risk === "READ") {
        const statements = await withConnection(url(), context.signal, (client) =>
          runReadOnly(client, analysis.statements, limits),
        );
        return { statements, readOnly: true, replayed: false };
      }
      const target = url();
      const outcome = await withConnection(target, context.signal, (client) =>
        runWrite(client, target, {
          statements: analysis.statements,
          idempotencyKey: context.idempotencyKey,
          sql: input.sql,
          limits,
        }),
      );
      context.logger.info("sql write executed", {
        statementTypes: analysis.statements.map((statement) => statement.type),
        rowCounts: outcome.results.map((result) => result.rowCount),
        replayed: outcome.replayed,
      });
      return { statements: outcome.results, readOnly: false, replayed: outcome.replayed };
    },
  });
}
