/**
 * Driver adapter for the Prisma CLI (migrate deploy / diff / status), used only by
 * prisma.config.ts — the application runtime uses a plain `PrismaPg`.
 *
 * Why this exists: Prisma is pinned to 6.19.3 because that is the last line whose CLI
 * can migrate offline through the bundled WASM schema engine plus a driver adapter
 * (Prisma 7's migrate downloads a native schema-engine binary, which this network
 * cannot reach). `@prisma/adapter-pg` 6.19.3 has four defects under the migrate
 * engine, each worked around below:
 *   1. catalog queries return `name` and `"char"` columns, which it refuses to map;
 *   2. its shadow database pool is `{ ...config, database }`, and with a connection
 *      string the URL wins, so the "shadow" is silently the main database;
 *   3. `executeScript` splits on `;`, breaking `$$` bodies and string literals;
 *   4. transactions started from the adapter need the same column-type fix as 1.
 * Revisit (and delete this file) when Prisma ships an offline migrate route.
 */
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

type MainConnection = Awaited<ReturnType<PrismaPg["connect"]>>;
type Transaction = Awaited<ReturnType<MainConnection["startTransaction"]>>;
type Queryable = MainConnection | Transaction;
type SqlQuery = Parameters<MainConnection["queryRaw"]>[0];
type SqlResultSet = Awaited<ReturnType<MainConnection["queryRaw"]>>;
type ColumnType = SqlResultSet["columnTypes"][number];

/**
 * `ColumnTypeEnum.Character` from @prisma/driver-adapter-utils 6.19.3. Written out
 * because that package is only a transitive dependency; the type still checks it is
 * a valid column type.
 */
const characterColumnType: ColumnType = 6;

/** PostgreSQL type OIDs the adapter refuses but the schema engine's catalog queries return. */
const postgresNameTypeId = 19;
const postgresCharTypeId = 18;
const postgresTextTypeId = pg.types.builtins.TEXT;

/**
 * The adapter's own query step. It is `private` in the typings, but in 6.19.3 it is an
 * ordinary method that `queryRaw` reaches through `this`, which lets us adjust the raw
 * pg result before the adapter maps column types.
 */
type QueryableInternals = {
  performIO(query: SqlQuery): Promise<pg.QueryResult<unknown[]>>;
};

/**
 * Runs the adapter's own `queryRaw` (so every value conversion stays the adapter's),
 * but reports `name` columns as Text and `"char"` columns as Character. `"char"` must
 * not become Text: the WASM engine traps on that.
 */
async function queryRawWithCatalogTypes(
  queryable: Queryable,
  originalQueryRaw: Queryable["queryRaw"],
  query: SqlQuery,
): Promise<SqlResultSet> {
  const characterColumnIndexes: number[] = [];
  const internals = queryable as unknown as QueryableInternals;
  // A per-call view of the adapter whose performIO is ours, so concurrent queries on
  // the same adapter never see each other's bookkeeping.
  const perCallView = Object.create(queryable, {
    performIO: {
      value: async (ioQuery: SqlQuery): Promise<pg.QueryResult<unknown[]>> => {
        const result = await internals.performIO.call(queryable, ioQuery);
        result.fields = result.fields.map((field, index) => {
          if (field.dataTypeID === postgresCharTypeId) {
            characterColumnIndexes.push(index);
            return { ...field, dataTypeID: postgresTextTypeId };
          }
          if (field.dataTypeID === postgresNameTypeId) {
            return { ...field, dataTypeID: postgresTextTypeId };
          }
          return field;
        });
        return result;
      },
    },
  }) as Queryable;
  const resultSet = await originalQueryRaw.call(perCallView, query);
  for (const index of characterColumnIndexes) {
    resultSet.columnTypes[index] = characterColumnType;
  }
  return resultSet;
}

function patchTransaction(transaction: Transaction): Transaction {
  const originalQueryRaw = transaction.queryRaw;
  transaction.queryRaw = (query) => queryRawWithCatalogTypes(transaction, originalQueryRaw, query);
  return transaction;
}

/**
 * Applies the fixes to a connection in place. Patching the instance (rather than
 * wrapping it) keeps every other method, and `this` inside them, exactly as shipped.
 */
function patchConnection(connection: MainConnection, afterDispose?: () => Promise<void>): MainConnection {
  const originalStartTransaction = connection.startTransaction.bind(connection);
  const originalDispose = connection.dispose.bind(connection);
  const originalQueryRaw = connection.queryRaw;

  connection.queryRaw = (query) => queryRawWithCatalogTypes(connection, originalQueryRaw, query);

  connection.startTransaction = async (isolationLevel) =>
    patchTransaction(await originalStartTransaction(isolationLevel));

  // A query with no parameters goes over pg's simple protocol, which accepts many
  // statements at once and lets PostgreSQL itself split them — so `$$` bodies and
  // literals containing `;` survive, and the script runs as one implicit transaction
  // just as the native schema engine runs it. Going through executeRaw keeps the
  // adapter's mapping of PostgreSQL errors, which the CLI prints.
  connection.executeScript = async (script) => {
    await connection.executeRaw({ sql: script, args: [], argTypes: [] });
  };

  connection.dispose = async () => {
    await originalDispose();
    await afterDispose?.();
  };
  return connection;
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export type CliConnectionConfig = {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** PostgreSQL schema Prisma manages (the URL's `?schema=`); PostgreSQL's default when absent. */
  schema?: string;
  /** Extra pg pool options (for example `ssl`), applied to main and shadow pools alike. */
  poolOptions?: Omit<pg.PoolConfig, "connectionString" | "host" | "port" | "user" | "password" | "database">;
};

export class PrismaCliPg extends PrismaPg {
  readonly #connectionConfig: CliConnectionConfig;

  constructor(connectionConfig: CliConnectionConfig) {
    const withCliDefaults: CliConnectionConfig = {
      ...connectionConfig,
      // The CLI never disposes its main connection; without this, the idle pooled
      // client keeps every prisma command alive for pg's 10 s idle timeout.
      poolOptions: { allowExitOnIdle: true, ...connectionConfig.poolOptions },
    };
    const { poolOptions, schema, ...discreteFields } = withCliDefaults;
    // Discrete fields, never a connectionString: a URL would override the database
    // name of any pool derived from this config.
    super({ ...poolOptions, ...discreteFields }, schema === undefined ? undefined : { schema });
    this.#connectionConfig = withCliDefaults;
  }

  override async connect(): Promise<MainConnection> {
    return patchConnection(await super.connect());
  }

  /**
   * Creates a throwaway database for the engine's replay of the migrations and
   * drops it when the engine disposes the connection.
   */
  override async connectToShadowDb(): Promise<MainConnection> {
    const { poolOptions, schema, ...discreteFields } = this.#connectionConfig;
    const shadowDatabaseName = `prisma_migrate_shadow_db_${randomUUID()}`;
    const administrationPool = new pg.Pool({ ...poolOptions, ...discreteFields, max: 1 });
    try {
      await administrationPool.query(`CREATE DATABASE ${quoteIdentifier(shadowDatabaseName)}`);
    } catch (error) {
      await administrationPool.end();
      throw error;
    }

    const dropShadowDatabase = async (): Promise<void> => {
      try {
        // WITH (FORCE) ends any session the engine left behind, which would
        // otherwise make the drop fail and leak the database.
        await administrationPool.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(shadowDatabaseName)} WITH (FORCE)`);
      } finally {
        await administrationPool.end();
      }
    };

    try {
      const shadowFactory = new PrismaPg(
        { ...poolOptions, ...discreteFields, database: shadowDatabaseName },
        schema === undefined ? undefined : { schema },
      );
      // The shadow pool is closed first (by the original dispose), then the database dropped.
      return patchConnection(await shadowFactory.connect(), dropShadowDatabase);
    } catch (error) {
      await dropShadowDatabase();
      throw error;
    }
  }
}

/** Builds the CLI adapter from a `postgresql://user:password@host:port/database?…` URL. */
export function createCliAdapter(databaseUrl: string): PrismaCliPg {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/database).");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new Error(`DATABASE_URL must use the postgresql:// scheme, not ${url.protocol}//.`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (database === "") {
    throw new Error("DATABASE_URL must name a database (postgresql://…/database).");
  }

  const poolOptions: CliConnectionConfig["poolOptions"] = {};
  const sslMode = url.searchParams.get("sslmode");
  if (sslMode !== null && sslMode !== "disable") {
    // `require` without certificates means "encrypt but do not verify", as in libpq.
    poolOptions.ssl = sslMode === "require" ? { rejectUnauthorized: false } : true;
  }

  const schema = url.searchParams.get("schema");
  if (schema !== null) {
    // The migration SQL Prisma writes uses unqualified names, so they must resolve to
    // the managed schema, as they do with Prisma's native engine.
    poolOptions.options = `-c search_path=${schema}`;
  }

  return new PrismaCliPg({
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, "$1")) || "localhost",
    port: url.port === "" ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    ...(schema === null ? {} : { schema }),
    poolOptions,
  });
}
