/**
 * Vitest global setup: one embedded PostgreSQL for the whole test run, with a migrated
 * template database. Each integration test file clones the template into a database of
 * its own (server/testing/database.ts), so files run in parallel without sharing rows.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { findFreePort, startEmbeddedPostgres } from "../db/embedded-postgres";
import { applyMigrations } from "../db/migrations";

export const TEMPLATE_DATABASE = "airlock_template";

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "airlock-test-pg-"));
  // Postgres runs as its own user (the server refuses root), which must reach the directory.
  await chmod(dataDir, 0o755);
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(dataDir, "data"),
    port: await findFreePort(),
    persistent: false,
  });
  try {
    await postgres.createDatabase(TEMPLATE_DATABASE);
    await applyMigrations({ databaseUrl: postgres.urlFor(TEMPLATE_DATABASE) });
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  project.provide("postgresServerUrl", postgres.urlFor("postgres"));
  return async () => {
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    postgresServerUrl: string;
  }
}
