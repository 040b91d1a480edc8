/**
 * `npm run audit:verify`: recomputes every link of the audit hash chain and reports the
 * first broken one. Uses DATABASE_URL, or the embedded PostgreSQL of `npm start` (which
 * must not be running at the same time: it is started here for the check and stopped).
 * Exit code 0: intact; 1: broken; 2: could not check.
 */
import path from "node:path";
import { verifyAuditChain } from "../server/audit/record-audit-event";
import { db } from "../server/db/client";
import { type RunningPostgres, startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { ConfigurationError, parseEnv, resetEnvForTests } from "../server/env";

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
    postgres = await startEmbeddedPostgres({
      dataDir: path.resolve(config.AIRLOCK_DATA_DIR, "postgres"),
      port: config.EMBEDDED_POSTGRES_PORT,
      persistent: true,
    });
    process.env.DATABASE_URL = postgres.urlFor("airlock");
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
