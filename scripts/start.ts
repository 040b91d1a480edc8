/**
 * `npm start`: everything Airlock needs, in one command. Validates configuration, starts
 * the embedded PostgreSQL (unless DATABASE_URL is set), applies migrations, seeds the
 * demo users, builds the app when the sources changed, and serves it. Stops Postgres on
 * exit, and a Postgres left behind by a killed earlier run is stopped on the next start.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { DEMO_USERS } from "../server/auth/demo-users";
import { ensureSecretsKey } from "../server/crypto/secrets-key";
import { findFreePort, portIsFree, type RunningPostgres, startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { applyMigrations } from "../server/db/migrations";
import { ConfigurationError, environmentForChild, parseEnv } from "../server/env";

const root = path.resolve(import.meta.dirname, "..");
const dev = process.argv.includes("--dev");

function say(message: string) {
  process.stdout.write(`[airlock] ${message}\n`);
}

function fail(message: string): never {
  process.stderr.write(`\n[airlock] ${message}\n\n`);
  process.exit(1);
}

function authSecret(dataDir: string): string {
  const file = path.join(dataDir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const where = (() => {
      try {
        const parsed = new URL(url);
        return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
      } catch {
        return "DATABASE_URL";
      }
    })();
    fail(`Cannot reach the database at ${where}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

const SOURCES = [
  "app",
  "components",
  "server",
  "next.config.js",
  "instrumentation.ts",
  "package.json",
  "proxy.ts",
  "postcss.config.mjs",
  "tsconfig.json",
];

function newestSourceTime(entry: string): number {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(full)) {
    if (child === "node_modules") continue;
    newest = Math.max(newest, newestSourceTime(path.join(entry, child)));
  }
  return newest;
}

function needsBuild(): boolean {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.some((entry) => newestSourceTime(entry) > built);
}

function run(command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: environment, stdio: "inherit" });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main() {
  let config: ReturnType<typeof parseEnv>;
  try {
    config = parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) fail(`${error.message}\nSee the configuration table in README.md.`);
    throw error;
  }
  const dataDir = path.resolve(root, config.AIRLOCK_DATA_DIR);
  if (!(await portIsFree(config.PORT, "0.0.0.0"))) {
    fail(
      `Port ${config.PORT} is already in use. Stop the program using it, or start Airlock on another port: PORT=3001 npm start`,
    );
  }

  let postgres: RunningPostgres | undefined;
  let databaseUrl = config.DATABASE_URL;
  if (databaseUrl) {
    say("Using the PostgreSQL at DATABASE_URL");
    await checkReachable(databaseUrl);
  } else {
    const postgresPort = config.EMBEDDED_POSTGRES_PORT === 0 ? await findFreePort() : config.EMBEDDED_POSTGRES_PORT;
    say(
      `Starting the embedded PostgreSQL (data in ${path.relative(root, path.join(dataDir, "postgres")) || "."}, port ${postgresPort})`,
    );
    try {
      postgres = await startEmbeddedPostgres({
        dataDir: path.join(dataDir, "postgres"),
        port: postgresPort,
        persistent: true,
        onLog: (line) => {
          if (/FATAL|PANIC|ERROR/.test(line)) process.stderr.write(`[postgres] ${line}`);
        },
      });
      await postgres.createDatabase("airlock");
    } catch (error) {
      await postgres?.stop().catch(() => {});
      fail(error instanceof Error ? error.message : String(error));
    }
    databaseUrl = postgres.urlFor("airlock");
  }

  let child: ReturnType<typeof spawn> | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child?.kill("SIGKILL");
          resolve(undefined);
        }, 10_000);
        child?.once("exit", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    if (postgres) {
      say("Stopping the embedded PostgreSQL");
      await postgres.stop().catch(() => {});
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    say("Applying database migrations");
    await applyMigrations({ databaseUrl });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    await shutdown(1);
    return;
  }

  const publicUrl = config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`;
  const childEnvironment = environmentForChild({
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? authSecret(dataDir),
    SECRETS_KEY: config.SECRETS_KEY ?? ensureSecretsKey(dataDir),
    NEXTAUTH_URL: publicUrl,
    NEXT_TELEMETRY_DISABLED: "1",
    // Next's own SIGTERM handler exits at once; ours (server/agent/shutdown.ts) first hands
    // the runs back and closes the event streams cleanly.
    NEXT_MANUAL_SIG_HANDLE: "1",
    NODE_ENV: dev ? "development" : "production",
  });

  if (config.SEED_DEMO_USERS) {
    const seeded = await run(
      process.execPath,
      ["--import", "tsx", path.join(root, "scripts", "seed.ts")],
      childEnvironment,
    );
    if (seeded !== 0) return shutdown(1);
  }

  const next = path.join(root, "node_modules", "next", "dist", "bin", "next");
  if (!dev && needsBuild()) {
    say("Building the app (first start or changed sources; takes about a minute)");
    const built = await run(process.execPath, [next, "build"], childEnvironment);
    if (built !== 0) {
      process.stderr.write("[airlock] The build failed; see the output above.\n");
      return shutdown(1);
    }
  }

  const server = spawn(process.execPath, [next, dev ? "dev" : "start", "-p", String(config.PORT)], {
    cwd: root,
    env: childEnvironment,
    stdio: "inherit",
  });
  child = server;
  server.on("exit", (code) => {
    if (!stopping) {
      process.stderr.write(`[airlock] The server stopped (exit code ${code}).\n`);
      void shutdown(code ?? 1);
    }
  });

  if (await waitForHealth(`http://127.0.0.1:${config.PORT}`, 120_000)) {
    say(`Airlock is running at ${publicUrl}`);
    if (config.SEED_DEMO_USERS) {
      say("Demo sign-ins:");
      for (const user of DEMO_USERS) say(`  ${user.role.padEnd(8)} ${user.email} / ${user.password}`);
    }
  }
}

main().catch((error) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
