/**
 * `npm run audit:verify`: recomputes every link of the audit hash chain and reports the
 * first broken one. Uses DATABASE_URL, or the embedded PostgreSQL of `npm start`: when
 * the app is running, its live server (postmaster.pid, the process alive, accepting
 * connections) is used as it is, through read-only transactions, and never stopped;
 * otherwise it is started here for the check and stopped again.
 * Exit code 0: intact; 1: broken; 2: could not check.
 */
import path from "node:path";
import pg from "pg";
import { verifyAuditChain } from "../server/audit/record-audit-event";
import { db } from "../server/db/client";
import {
  embeddedPostgresUrl,
  type RunningPostgres,
  runningPostmaster,
  startEmbeddedPostgres,
} from "../server/db/embedded-postgres";
import { ConfigurationError, parseEnv, resetEnvForTests } from "../server/env";

/** Every transaction on this URL is read-only: the check cannot change what it checks. */
function readOnly(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("options", "-c default_transaction_read_only=on");
  return parsed.toString();
}

async function accepting(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function main(): Promise<number> {
  let config: ReturnType<typeof parseEnv>;
  try {
    config = parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  let postgres: RunningPostgres | undefined;
  if (!config.DATABASE_URL) {
    const dataDir = path.resolve(config.AIRLOCK_DATA_DIR, "postgres");
    const live = runningPostmaster(dataDir);
    if (live) {
      const url = readOnly(embeddedPostgresUrl(live.port, "airlock"));
      if (!(await accepting(url))) {
        process.stderr.write(
          `The app's PostgreSQL (pid ${live.pid}) is running for ${dataDir} but does not accept connections yet; ` +
            "try again in a moment. It was left running.\n",
        );
        return 2;
      }
      process.stdout.write(`Reading the running app's database (pid ${live.pid}), read-only.\n`);
      process.env.DATABASE_URL = url;
    } else {
      postgres = await startEmbeddedPostgres({ dataDir, port: config.EMBEDDED_POSTGRES_PORT, persistent: true });
      process.env.DATABASE_URL = postgres.urlFor("airlock");
    }
    resetEnvForTests();
  }
  try {
    const result = await verifyAuditChain();
    if (result.ok) {
      process.stdout.write(`Audit chain intact: ${result.events} events verified.\n`);
      return 0;
    }
    process.stdout.write(
      `Audit chain BROKEN at event ${result.brokenAt}: ${result.reason} (${result.events} events read).\n`,
    );
    return 1;
  } finally {
    await db().$disconnect();
    await postgres?.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error) => {
    process.stderr.write(
      `Could not verify the audit chain: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(2);
  });
