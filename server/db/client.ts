/**
 * The Prisma client, through the PostgreSQL driver adapter (no engine binary).
 * One client per process; Next's dev server reloads modules, so it lives on globalThis.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { env, resetEnvForTests } from "../env";
import { PrismaClient } from "./generated/client";
import { ReleasingPool } from "./releasing-pool";

export type Database = PrismaClient;

const globalForPrisma = globalThis as unknown as { airlockPrisma?: PrismaClient };

export function databaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set: start Airlock with `npm start`, which provides the embedded PostgreSQL.");
  }
  return url;
}

/**
 * Prisma's default of 5 s for an interactive transaction is a latency limit, and a loaded
 * machine passes it with healthy work: a step commit that took 5.9 s failed its run
 * ("expired transaction"; soak:crash on a 2-core machine with a load of 15). The wait for
 * a connection is DATABASE_TRANSACTION_MAX_WAIT_MS, and inTransaction() tries again when
 * it runs out (server/db/transaction.ts).
 */
export const TRANSACTION_TIMEOUT_MS = 30_000;

/** Prisma's pg adapter, each time Prisma connects on a new pool that frees lost connections. */
class PrismaPgOnReleasingPool extends PrismaPg {
  constructor(private readonly poolConfig: pg.PoolConfig) {
    super(poolConfig);
  }

  override connect() {
    return new PrismaPg(new ReleasingPool(this.poolConfig), { disposeExternalPool: true }).connect();
  }
}

export function createDatabase(connectionString: string, poolSize = env().DATABASE_POOL_SIZE): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPgOnReleasingPool({ connectionString, max: poolSize }),
    transactionOptions: { maxWait: env().DATABASE_TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS },
  });
}

export function db(): PrismaClient {
  globalForPrisma.airlockPrisma ??= createDatabase(databaseUrl());
  return globalForPrisma.airlockPrisma;
}

/**
 * Tests, benchmarks and the soak script point the whole process at their own database:
 * the configuration (read by the raw SQL pool and the LISTEN connection) and Prisma.
 */
export async function connectDatabaseForTests(connectionString: string): Promise<PrismaClient> {
  process.env.DATABASE_URL = connectionString;
  resetEnvForTests();
  await globalForPrisma.airlockPrisma?.$disconnect();
  globalForPrisma.airlockPrisma = createDatabase(connectionString);
  return globalForPrisma.airlockPrisma;
}
