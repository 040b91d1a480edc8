/**
 * A throwaway embedded PostgreSQL of one's own, migrated, for runs that restart the server
 * mid-run (the tests' shared server cannot be restarted under the other test files):
 * `npm run chaos` and the chaos test. Persistent data, so a restart keeps every row.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findFreePort, type RunningPostgres, startEmbeddedPostgres } from "../db/embedded-postgres";
import { applyMigrations } from "../db/migrations";

export interface PrivatePostgres {
  url: string;
  /** Stops the server (a clean shutdown: every connection is cut) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

export async function startPrivatePostgres(database: string): Promise<PrivatePostgres> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "airlock-private-pg-"));
  // Postgres runs as its own user (the server refuses root), which must reach the directory.
  await chmod(directory, 0o755);
  const options = { dataDir: path.join(directory, "data"), port: await findFreePort(), persistent: true };
  let postgres: RunningPostgres | undefined;
  const stop = async () => {
    await postgres?.stop().catch(() => {});
    postgres = undefined;
    await rm(directory, { recursive: true, force: true, maxRetries: 5 }).catch(() => {});
  };
  try {
    postgres = await startEmbeddedPostgres(options);
    await postgres.createDatabase(database);
    const url = postgres.urlFor(database);
    await applyMigrations({ databaseUrl: url });
    return {
      url,
      async restart() {
        await postgres?.stop();
        postgres = await startEmbeddedPostgres(options);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
