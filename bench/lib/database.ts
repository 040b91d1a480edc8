/**
 * The database a benchmark runs against: a fresh embedded PostgreSQL in a temporary
 * directory (the same server and settings the app uses, fsync on), migrated, with this
 * process pointed at it. The server is always stopped: when the work ends, when it
 * throws, and on SIGINT/SIGTERM (npm does not signal a script's children, so a bench
 * that left Postgres running would hold its port and directory).
 */
import { rmSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connectDatabaseForTests, db } from "../../server/db/client";
import { findFreePort, startEmbeddedPostgres } from "../../server/db/embedded-postgres";
import { applyMigrations } from "../../server/db/migrations";
import { closeNotifications } from "../../server/db/notifications";

export interface BenchDatabase {
  /** The migrated database this process's Prisma client and LISTEN connection use. */
  url: string;
}

const DATABASE_NAME = "airlock_bench";

/** Starts Postgres, runs `work` against it, and stops Postgres whatever happens. */
export async function withBenchDatabase<T>(work: (database: BenchDatabase) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "airlock-bench-pg-"));
  // Postgres refuses to run as root, so it runs as its own user, which must reach the directory.
  await chmod(directory, 0o755);
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(directory, "data"),
    port: await findFreePort(),
    persistent: false,
  });

  let stopping: Promise<void> | undefined;
  // Each part of the teardown runs even if an earlier one fails (a signal can arrive at any point).
  const quietly = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch {}
  };
  const stop = () => {
    stopping ??= (async () => {
      await quietly(() => closeNotifications());
      await quietly(() => db().$disconnect());
      await quietly(() => postgres.stop());
      await quietly(() => rm(directory, { recursive: true, force: true }));
    })();
    return stopping;
  };
  // embedded-postgres stops its servers on SIGINT/SIGTERM itself and then exits the process,
  // which can cut our own teardown short: remove the directory on exit in any case.
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  process.once("exit", removeDirectory);
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the benchmark's PostgreSQL…\n`);
    void stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    await postgres.createDatabase(DATABASE_NAME);
    const url = postgres.urlFor(DATABASE_NAME);
    await applyMigrations({ databaseUrl: url });
    // Point the app's modules (env, Prisma client, SQL pool, LISTEN connection) at this database.
    await connectDatabaseForTests(url);
    return await work({ url });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stop();
    process.off("exit", removeDirectory);
  }
}
