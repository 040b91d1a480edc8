/**
 * First-run data for `npm start` (run with the launcher's DATABASE_URL and SECRETS_KEY):
 * the sample workspace (moved out of the data directory first if an older version put it there) and the `demo` SQL database always (each only when empty), and the
 * demo users and fake secrets when SEED_DEMO_USERS is on. Idempotent.
 */
import { seedDemoUsers } from "../server/auth/seed-demo-users";
import { secretsKeyFromEnv } from "../server/crypto/secrets-key";
import { db } from "../server/db/client";
import { env } from "../server/env";
import { workspaceRoot } from "../server/tools/built-in";
import { seedDemoSecrets } from "../server/tools/secrets/secret-store";
import { demoDatabaseUrl, seedDemoDatabase } from "../server/tools/sql/seed-demo-database";
import { seedWorkspace } from "../server/tools/workspace/seed-workspace";
import { describeWorkspaceMove, moveLegacyWorkspace } from "../server/tools/workspace/workspace-location";

const config = env();
const said: string[] = [];
// Before seeding: an install from before the workspace left the data directory keeps its files.
const moved = describeWorkspaceMove(
  moveLegacyWorkspace({ dataDir: config.AIRLOCK_DATA_DIR, configuredRoot: config.WORKSPACE_ROOT }),
);
if (moved) process.stdout.write(`[airlock] ${moved}\n`);
const files = await seedWorkspace(workspaceRoot());
if (files.length > 0) said.push(`a sample workspace (${files.length} files)`);
if (!config.SQL_TARGET_URL && config.DATABASE_URL) {
  const { created } = await seedDemoDatabase(demoDatabaseUrl(config.DATABASE_URL));
  if (created) said.push("the demo SQL database");
}
if (config.SEED_DEMO_USERS) {
  const users = await seedDemoUsers();
  if (users > 0) said.push(`${users} demo user(s)`);
  const secrets = await seedDemoSecrets(secretsKeyFromEnv());
  if (secrets.length > 0) said.push(`demo secrets (${secrets.join(", ")})`);
}
if (said.length > 0) process.stdout.write(`[airlock] Seeded ${said.join(", ")}\n`);
await db().$disconnect();
process.exit(0);
