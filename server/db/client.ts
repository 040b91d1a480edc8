/**
 * The Prisma client, through the PostgreSQL driver adapter (no engine binary).
 * One client per process; Next's dev server reloads modules, so it lives on globalThis.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import { env, resetEnvForTests } from "../env";
import { PrismaClient } from "./generated/client";

export type Database = PrismaClient;

const globalForPrisma = globalThis as unknown as { airlockPrisma?: PrismaClient };

export function databaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set: start Airlock with `npm start`, which provides the embedded PostgreSQL.");
  }
  return url;
}

export function createDatabase(connectionString: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max: 20 }) });
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
