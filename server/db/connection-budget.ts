/**
 * Whether one more instance fits under PostgreSQL's max_connections. Each instance may
 * open its Prisma pool, its raw SQL pool and one LISTEN connection; pools open lazily, so
 * an instance that does not fit starts fine and fails later under load. Checked at start
 * instead, against what the server allows and what is in use right now.
 */
import pg from "pg";
import type { Env } from "../env";

/** The one LISTEN connection of server/db/notifications.ts. */
export const LISTEN_CONNECTIONS = 1;

export interface ConnectionBudget {
  maxConnections: number;
  reservedConnections: number;
  inUse: number;
  needed: number;
}

export class ConnectionBudgetError extends Error {
  constructor(readonly budget: ConnectionBudget) {
    super(describeShortfall(budget));
    this.name = "ConnectionBudgetError";
  }
}

export function connectionsNeeded(config: Pick<Env, "DATABASE_POOL_SIZE" | "DATABASE_SQL_POOL_SIZE">): number {
  return config.DATABASE_POOL_SIZE + config.DATABASE_SQL_POOL_SIZE + LISTEN_CONNECTIONS;
}

export function fits(budget: ConnectionBudget): boolean {
  return budget.inUse + budget.needed <= budget.maxConnections - budget.reservedConnections;
}

function describeShortfall(budget: ConnectionBudget): string {
  const available = budget.maxConnections - budget.reservedConnections - budget.inUse;
  return (
    `This instance may open ${budget.needed} database connections (DATABASE_POOL_SIZE + DATABASE_SQL_POOL_SIZE + ` +
    `${LISTEN_CONNECTIONS} LISTEN), but PostgreSQL has only ${Math.max(available, 0)} left: max_connections is ` +
    `${budget.maxConnections}, ${budget.reservedConnections} are reserved for superusers and ${budget.inUse} are in use ` +
    "(other instances, workers, tools). Lower DATABASE_POOL_SIZE and DATABASE_SQL_POOL_SIZE on every instance " +
    '(see "Running more than one instance" in README.md), or raise max_connections.'
  );
}

/** Reads the server's limits and current use; throws ConnectionBudgetError when this instance does not fit. */
export async function checkConnectionBudget(options: {
  databaseUrl: string;
  config: Pick<Env, "DATABASE_POOL_SIZE" | "DATABASE_SQL_POOL_SIZE">;
}): Promise<ConnectionBudget> {
  const client = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ max: string; reserved: string; in_use: string }>(
      `SELECT current_setting('max_connections') AS max,
              -- reserved_connections: PostgreSQL 16 and later
              (current_setting('superuser_reserved_connections')::int
                + COALESCE(current_setting('reserved_connections', true), '0')::int) AS reserved,
              (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use`,
    );
    const row = rows[0];
    const budget: ConnectionBudget = {
      maxConnections: Number(row?.max),
      reservedConnections: Number(row?.reserved),
      // This check's own connection closes now; it is not part of the instance's use.
      inUse: Math.max(Number(row?.in_use) - 1, 0),
      needed: connectionsNeeded(options.config),
    };
    if (!fits(budget)) throw new ConnectionBudgetError(budget);
    return budget;
  } finally {
    await client.end().catch(() => {});
  }
}
