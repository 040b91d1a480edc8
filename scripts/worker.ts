/**
 * `npm run worker`: a dedicated run worker, with no web server. App instances run a
 * worker of their own unless AIRLOCK_WORKER=off; extra worker processes scale run
 * execution out, and any of them resumes a run whose worker died once its lease
 * expires. Needs DATABASE_URL: the same database the app instances use.
 *
 * SIGTERM/SIGINT stop claiming at once and give in-flight runs a few seconds to
 * finish; runs still going then are left to their leases, which expire and are
 * resumed elsewhere from their last committed step.
 */
import pg from "pg";
import { defaultEngineDependencies } from "../server/agent/engine-config";
import { startWorker } from "../server/agent/worker";
import { db } from "../server/db/client";
import { checkConnectionBudget } from "../server/db/connection-budget";
import { closeNotifications } from "../server/db/notifications";
import { ConfigurationError, env } from "../server/env";
import { startMcpClients, stopMcpClients } from "../server/mcp/manager";
import { startModelConfigSync } from "../server/models/model-config";
import { logger } from "../server/telemetry/logger";
import { startTracing, stopTracing } from "../server/telemetry/tracing";
import { defaultToolRegistry } from "../server/tools/default-registry";

/** Kept under the 10 s a process manager (Docker, systemd, `npm start`) usually waits before SIGKILL. */
const STOP_GRACE_MS = 8_000;

function fail(message: string): never {
  process.stderr.write(`\n[airlock worker] ${message}\n\n`);
  process.exit(1);
}

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query(`SELECT 1 FROM "Run" LIMIT 1`);
  } catch (error) {
    const message = error instanceof Error ? error.message || error.name : String(error);
    fail(`Cannot use the database at DATABASE_URL (is it reachable and migrated?): ${message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function main() {
  let config: ReturnType<typeof env>;
  try {
    config = env();
  } catch (error) {
    if (error instanceof ConfigurationError) fail(`${error.message}\nSee the configuration table in README.md.`);
    throw error;
  }
  if (!config.DATABASE_URL) {
    fail(
      "DATABASE_URL is not set. A dedicated worker must use the database of the app instances " +
        `(with \`npm start\`'s embedded PostgreSQL, the database "airlock" on 127.0.0.1:${config.EMBEDDED_POSTGRES_PORT}).`,
    );
  }
  await checkReachable(config.DATABASE_URL);
  await checkConnectionBudget({ databaseUrl: config.DATABASE_URL, config }).catch((error: Error) =>
    fail(error.message),
  );
  startTracing();
  // Runs may use providers an admin configured in the console; follow their changes too.
  await startModelConfigSync();

  // Runs may call tools imported from MCP servers: this worker connects to them itself.
  await startMcpClients();
  const worker = await startWorker({
    deps: defaultEngineDependencies(defaultToolRegistry()),
    concurrency: config.WORKER_CONCURRENCY,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info("worker stopping", { signal, workerId: worker.id, inFlight: worker.active() });
    void worker
      .stop({ graceMs: STOP_GRACE_MS })
      .then(async () => {
        await stopMcpClients();
        await closeNotifications();
        await stopTracing();
        await db().$disconnect();
        process.exit(0);
      })
      .catch((error) => {
        logger.error("worker did not stop cleanly", { error });
        process.exit(1);
      });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
