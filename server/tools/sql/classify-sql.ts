/**
 * SQL risk classification with PostgreSQL's own parser (libpg-query), never keywords.
 * The whole tree of every statement is walked: a DELETE inside a CTE, a FOR UPDATE, a
 * SELECT INTO, or a call to any function not known to be free of side effects makes a
 * statement DESTRUCTIVE, whatever its top node says; comments stay comments. Several
 * statements take the highest class among them. Unknown statement kinds are DESTRUCTIVE.
 */
import { parse } from "libpg-query";
import type { RiskClass } from "../../shared/risk";

export interface ParsedStatement {
  /** The statement's own text, cut from the input at the parser's offsets. */
  text: string;
  /** SELECT, INSERT, UPDATE, DELETE, MERGE, EXPLAIN, CREATE_TABLE, DROP, … */
  type: string;
  /** READ or DESTRUCTIVE from the statement alone; sensitive tables are applied later. */
  risk: "READ" | "DESTRUCTIVE";
  /** Why it is DESTRUCTIVE, in words a reviewer reads. */
  reasons: string[];
  /** Every relation named anywhere in the statement, lower-cased, `schema.table` when qualified. */
  tables: string[];
  /** Tables the statement writes to (INSERT/UPDATE/DELETE/MERGE targets, anywhere in the tree). */
  writeTargets: string[];
  functions: string[];
  /** Plain data changes whose every effect a rolled-back transaction undoes: safe to dry-run. */
  dryRunnable: boolean;
}

export interface SqlAnalysis {
  statements: ParsedStatement[];
  /** The class before sensitive tables are considered. */
  risk: "READ" | "DESTRUCTIVE";
}

export class SqlClassificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SqlClassificationError";
  }
}

/**
 * Functions known to read only their arguments (and the clock). Anything else — nextval,
 * set_config, pg_terminate_backend, pg_read_file, dblink, lo_import, a user's own
 * function — may change something, so calling it is DESTRUCTIVE.
 */
const SIDE_EFFECT_FREE_FUNCTIONS = new Set(
  `count sum avg min max every bool_and bool_or string_agg array_agg json_agg jsonb_agg json_object_agg
  jsonb_object_agg stddev stddev_pop stddev_samp variance var_pop var_samp percentile_cont percentile_disc mode
  row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
  abs ceil ceiling floor round trunc sign mod power pow sqrt cbrt exp ln log log10 div greatest least width_bucket
  random
  length char_length character_length octet_length bit_length lower upper initcap trim btrim ltrim rtrim lpad rpad
  substr substring replace translate position strpos split_part concat concat_ws format left right reverse repeat
  starts_with regexp_replace regexp_match regexp_matches regexp_like regexp_count regexp_substr regexp_split_to_array
  regexp_split_to_table md5 sha256 encode decode to_hex ascii chr quote_ident quote_literal quote_nullable
  string_to_array array_to_string array_length array_position array_positions array_remove array_append
  array_prepend array_cat cardinality unnest array_dims array_lower array_upper generate_series generate_subscripts
  now current_timestamp clock_timestamp statement_timestamp transaction_timestamp timeofday date_trunc date_part
  extract age to_char to_date to_timestamp to_number make_date make_time make_timestamp make_timestamptz
  make_interval justify_days justify_hours justify_interval isfinite date_bin timezone
  coalesce nullif
  to_json to_jsonb row_to_json array_to_json json_build_object jsonb_build_object json_build_array
  jsonb_build_array json_object jsonb_object json_array_length jsonb_array_length json_extract_path
  jsonb_extract_path json_extract_path_text jsonb_extract_path_text json_typeof jsonb_typeof jsonb_pretty
  json_each jsonb_each json_each_text jsonb_each_text json_array_elements jsonb_array_elements
  json_array_elements_text jsonb_array_elements_text json_object_keys jsonb_object_keys jsonb_set jsonb_insert
  jsonb_strip_nulls json_strip_nulls jsonb_path_query jsonb_path_exists jsonb_path_match
  num_nonnulls num_nulls gen_random_uuid`
    .split(/\s+/)
    .filter((name) => name !== ""),
);

/**
 * Catalogs whose rows reveal what reading them must not: credentials, and values of other
 * tables — the planner's statistics hold each column's most common values and histogram
 * bounds (so `pg_stats` shows a sensitive table's data to anyone who may read it), query
 * texts carry their literals, and large objects are data. Reading them is sensitive
 * whatever an admin configured.
 */
export const ALWAYS_SENSITIVE_TABLES = [
  "pg_authid",
  "pg_shadow",
  "pg_user_mapping",
  "pg_user_mappings",
  "pg_statistic",
  "pg_stats",
  "pg_statistic_ext",
  "pg_statistic_ext_data",
  "pg_stats_ext",
  "pg_stats_ext_exprs",
  "pg_stat_activity",
  "pg_stat_statements",
  "pg_prepared_statements",
  "pg_largeobject",
];

const STATEMENT_TYPES: Record<string, string> = {
  SelectStmt: "SELECT",
  InsertStmt: "INSERT",
  UpdateStmt: "UPDATE",
  DeleteStmt: "DELETE",
  MergeStmt: "MERGE",
  ExplainStmt: "EXPLAIN",
  VariableShowStmt: "SHOW",
  CopyStmt: "COPY",
  TruncateStmt: "TRUNCATE",
  CreateStmt: "CREATE_TABLE",
  CreateTableAsStmt: "CREATE_TABLE_AS",
  DropStmt: "DROP",
  AlterTableStmt: "ALTER_TABLE",
  IndexStmt: "CREATE_INDEX",
  ViewStmt: "CREATE_VIEW",
  CreateFunctionStmt: "CREATE_FUNCTION",
  DoStmt: "DO",
  CallStmt: "CALL",
  GrantStmt: "GRANT",
  GrantRoleStmt: "GRANT_ROLE",
  VariableSetStmt: "SET",
  TransactionStmt: "TRANSACTION",
};

const DATA_CHANGES = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

type Node = Record<string, unknown>;

function statementType(key: string): string {
  return (
    STATEMENT_TYPES[key] ??
    key
      .replace(/Stmt$/, "")
      .replace(/([a-z])([A-Z])/g, "$1_$2")
      .toUpperCase()
  );
}

/**
 * Relation names, unlike function names, are lower-cased: they are only matched against
 * sensitive tables, and matching them regardless of case can only find more of them
 * (`"Payment_Methods"` is treated as sensitive when `payment_methods` is), never fewer.
 */
function relationName(node: Node): string {
  const schema = typeof node.schemaname === "string" ? `${node.schemaname}.` : "";
  return `${schema}${String(node.relname)}`.toLowerCase();
}

/**
 * A function's name as PostgreSQL resolves it: the parser has already folded unquoted
 * names to lower case, and a quoted name keeps its case — `"NOW"()` is not `now()` but
 * whatever function a user created under that name. Folding it again here would pass a
 * user's function off as a known one.
 */
function functionName(node: Node): string {
  const parts = (node.funcname as Node[] | undefined) ?? [];
  return parts.map((part) => String((part.String as Node | undefined)?.sval ?? "")).join(".");
}

interface Findings {
  tables: Set<string>;
  writeTargets: Set<string>;
  functions: Set<string>;
  unsafeFunctions: Set<string>;
  dataChanges: Set<string>;
  otherStatements: Set<string>;
  locking: boolean;
  selectInto: boolean;
  qualifiedOperators: Set<string>;
}

/** Visits every node below `value`, whatever its kind. */
function walk(value: unknown, findings: Findings, isTop: boolean): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, findings, false);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value as Node)) {
    if (child !== null && typeof child === "object" && !Array.isArray(child)) {
      const node = child as Node;
      // A relation appears wrapped ({ RangeVar: … }) or bare (a DELETE's `relation`, COPY's, …).
      if (typeof node.relname === "string") findings.tables.add(relationName(node));
      if (key === "FuncCall") {
        const name = functionName(node);
        findings.functions.add(name);
        const bare = name.replace(/^pg_catalog\./, "");
        if (!SIDE_EFFECT_FREE_FUNCTIONS.has(bare)) findings.unsafeFunctions.add(name);
      }
      if (key === "A_Expr" && Array.isArray(node.name) && node.name.length > 1) {
        findings.qualifiedOperators.add((node.name as Node[]).map((part) => (part.String as Node)?.sval).join("."));
      }
      if (DATA_CHANGES.has(key)) {
        // The top statement's own kind is reported as "is not a read"; nested ones as "contains".
        if (!isTop) findings.dataChanges.add(statementType(key));
        const relation = node.relation as Node | undefined;
        if (relation) findings.writeTargets.add(relationName(relation));
      } else if (/^[A-Z]\w*Stmt$/.test(key) && key !== "SelectStmt" && !isTop) {
        // Node types are PascalCase; fields such as InsertStmt.selectStmt are not statements of their own.
        findings.otherStatements.add(statementType(key));
      }
      if (key === "SelectStmt") {
        if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0) findings.locking = true;
        if (node.intoClause) findings.selectInto = true;
      }
    }
    walk(child, findings, false);
  }
}

function emptyFindings(): Findings {
  return {
    tables: new Set(),
    writeTargets: new Set(),
    functions: new Set(),
    unsafeFunctions: new Set(),
    dataChanges: new Set(),
    otherStatements: new Set(),
    locking: false,
    selectInto: false,
    qualifiedOperators: new Set(),
  };
}

function analyzeStatement(key: string, body: Node, text: string): ParsedStatement {
  const findings = emptyFindings();
  walk({ [key]: body }, findings, true);
  const reasons: string[] = [];
  let readShape = key === "SelectStmt" || key === "VariableShowStmt";
  if (key === "ExplainStmt") {
    const options = (body.options as Node[] | undefined) ?? [];
    const analyze = options.some((option) => {
      const element = option.DefElem as Node | undefined;
      if (element?.defname !== "analyze") return false;
      // EXPLAIN (ANALYZE false) plans only; any other value runs the statement.
      const argument = element.arg as Node | undefined;
      const text = String((argument?.String as Node | undefined)?.sval ?? (argument?.Boolean as Node)?.boolval ?? true);
      return !["false", "off", "0"].includes(text.toLowerCase());
    });
    // Without ANALYZE nothing runs: EXPLAIN DELETE only plans the delete.
    if (!analyze) {
      findings.dataChanges.clear();
      findings.unsafeFunctions.clear();
      findings.writeTargets.clear();
      findings.locking = false;
    }
    // With ANALYZE the statement runs, so its own findings (a DELETE inside, …) decide.
    readShape = true;
  }
  if (!readShape) reasons.push(`${statementType(key)} is not a read`);
  for (const change of findings.dataChanges) reasons.push(`contains ${change}`);
  for (const other of findings.otherStatements) reasons.push(`contains ${other}`);
  for (const name of findings.unsafeFunctions) reasons.push(`calls ${name}(), which may have side effects`);
  for (const operator of findings.qualifiedOperators) reasons.push(`uses operator ${operator}`);
  if (findings.locking) reasons.push("locks rows (FOR UPDATE/SHARE)");
  if (findings.selectInto) reasons.push("SELECT INTO creates a table");
  const risk = reasons.length === 0 ? "READ" : "DESTRUCTIVE";
  const dryRunnable =
    (DATA_CHANGES.has(key) || (key === "SelectStmt" && findings.dataChanges.size > 0)) &&
    findings.unsafeFunctions.size === 0 &&
    findings.otherStatements.size === 0 &&
    findings.qualifiedOperators.size === 0 &&
    !findings.selectInto;
  return {
    text,
    type: statementType(key),
    risk,
    reasons,
    tables: [...findings.tables].sort(),
    writeTargets: [...findings.writeTargets].sort(),
    functions: [...findings.functions].sort(),
    dryRunnable,
  };
}

/** Parses and classifies; throws SqlClassificationError on a syntax error or transaction control. */
export async function analyzeSql(sql: string): Promise<SqlAnalysis> {
  let result: Awaited<ReturnType<typeof parse>>;
  try {
    result = await parse(sql);
  } catch (error) {
    throw new SqlClassificationError(
      `The SQL does not parse: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const raw = (result.stmts ?? []) as { stmt?: Node; stmt_location?: number; stmt_len?: number }[];
  if (raw.length === 0) throw new SqlClassificationError("The SQL contains no statement.");
  const statements = raw.map((entry) => {
    const [key, body] = Object.entries(entry.stmt ?? {})[0] ?? ["Unknown", {}];
    // Offsets are in bytes of UTF-8; slicing a string by them would cut multi-byte text wrongly.
    const bytes = Buffer.from(sql, "utf8");
    const start = entry.stmt_location ?? 0;
    const end = entry.stmt_len === undefined || entry.stmt_len === 0 ? bytes.length : start + entry.stmt_len;
    const text = bytes.subarray(start, end).toString("utf8").trim();
    if (key === "TransactionStmt") {
      throw new SqlClassificationError(
        "Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT) is not allowed: each call runs in a transaction of its own.",
      );
    }
    return analyzeStatement(key, body as Node, text);
  });
  return {
    statements,
    risk: statements.some((statement) => statement.risk === "DESTRUCTIVE") ? "DESTRUCTIVE" : "READ",
  };
}

/** `customers` matches that table in any schema; `billing.customers` only in that schema. */
export function matchesSensitiveTable(table: string, sensitive: readonly string[]): boolean {
  const bare = table.includes(".") ? table.slice(table.lastIndexOf(".") + 1) : table;
  return sensitive.some((entry) => {
    const wanted = entry.trim().toLowerCase();
    return wanted === table || (!wanted.includes(".") && wanted === bare);
  });
}

export function classifySql(analysis: SqlAnalysis, sensitiveTables: readonly string[]): RiskClass {
  if (analysis.risk === "DESTRUCTIVE") return "DESTRUCTIVE";
  const all = [...sensitiveTables, ...ALWAYS_SENSITIVE_TABLES];
  const touchesSensitive = analysis.statements.some((statement) =>
    statement.tables.some((table) => matchesSensitiveTable(table, all)),
  );
  return touchesSensitive ? "SENSITIVE_READ" : "READ";
}
