/**
 * `npm start`: everything Airlock needs, in one command. Validates configuration, starts
 * the embedded PostgreSQL (unless DATABASE_URL is set) under supervision, applies
 * migrations, seeds the demo users, builds the app when the sources changed, and serves it.
 *
 * In production this file runs compiled (scripts/start.mjs builds it into dist/ with
 * esbuild) and serves Next in this same process: one Node process, no TypeScript loader,
 * no shell in between (`npm start` execs node). The set-up steps (migrations, seeding, the
 * build) run as children that exit; a signal during them is passed on. SIGTERM/SIGINT
 * while serving: Next and the run worker stop in their own handlers, this launcher bounds
 * how long that may take, and Postgres is told to shut down as the process exits. A
 * Postgres left behind by a killed earlier run is stopped on the next start.
 * `--dev` runs `next dev` as a child instead, which gets the signal passed on.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { DEMO_USERS } from "../server/auth/demo-users";
import { ensureSecretsKey } from "../server/crypto/secrets-key";
import { checkConnectionBudget } from "../server/db/connection-budget";
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
  "scripts/start.ts",
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

/** The set-up child running now, so a signal reaches it. */
let setupChild: ReturnType<typeof spawn> | undefined;

function run(command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: environment, stdio: "inherit" });
    setupChild = child;
    child.on("exit", (code, signal) => {
      setupChild = undefined;
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

async function waitForHealth(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/api/health/live`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/**
 * The longest a signalled launcher waits for the app to stop on its own (the run worker's
 * grace, open streams) before it exits anyway; kept under the 30 s a process manager
 * (systemd, Docker, Kubernetes) usually allows before SIGKILL.
 */
const STOP_DEADLINE_MS = 20_000;

/** 128 + the signal's number: how a shell reports a process ended by that signal. */
const SIGNAL_EXIT_CODE: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

async function serveInThisProcess(options: { port: number; hostname: string | undefined }): Promise<void> {
  // What `next start` sets before it loads the server (node_modules/next/dist/bin/next).
  process.env.NEXT_RUNTIME = "nodejs";
  process.env.NEXT_PRIVATE_START_TIME ??= String(Date.now());
  const { startServer } = await import("next/dist/server/lib/start-server.js");
  await startServer({
    dir: root,
    port: options.port,
    isDev: false,
    allowRetry: false,
    ...(options.hostname ? { hostname: options.hostname } : {}),
  });
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
  if (!(await portIsFree(config.PORT, config.BIND_ADDRESS ?? "0.0.0.0"))) {
    fail(
      `Port ${config.PORT} is already in use. Stop the program using it, or start Airlock on another port: PORT=3001 npm start`,
    );
  }

  let postgres: RunningPostgres | undefined;
  let databaseUrl = config.DATABASE_URL;
  // Set before Postgres starts: a signal during the set-up stops what was started so far.
  let stopping = false;
  let serving = false;
  let devServer: ReturnType<typeof spawn> | undefined;
  const stopSetUp = async (code: number) => {
    const child = devServer ?? setupChild;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(undefined);
        }, 10_000);
        child.once("exit", () => {
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
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping`);
    if (serving) {
      // Next's and the run worker's own handlers stop the app in this process and exit;
      // this only bounds how long they may take. Postgres stops as the process exits.
      setTimeout(() => {
        say(`The app did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting`);
        process.exit(SIGNAL_EXIT_CODE[signal]);
      }, STOP_DEADLINE_MS);
      return;
    }
    void stopSetUp(SIGNAL_EXIT_CODE[signal]);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));

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
        supervise: { onEvent: say, stopping: () => stopping },
      });
      await postgres.createDatabase("airlock");
    } catch (error) {
      await postgres?.stop().catch(() => {});
      fail(error instanceof Error ? error.message : String(error));
    }
    databaseUrl = postgres.urlFor("airlock");
  }
  if (stopping) return;

  try {
    await checkConnectionBudget({ databaseUrl, config });
    say("Applying database migrations");
    await applyMigrations({ databaseUrl });
  } catch (error) {
    process.stderr.write(`\n[airlock] ${error instanceof Error ? error.message : String(error)}\n\n`);
    await stopSetUp(1);
    return;
  }

  const publicUrl = config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`;
  const decided = {
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? authSecret(dataDir),
    SECRETS_KEY: config.SECRETS_KEY ?? ensureSecretsKey(dataDir),
    NEXTAUTH_URL: publicUrl,
    NEXT_TELEMETRY_DISABLED: "1",
    // Next's own SIGTERM handler exits at once; ours (server/agent/shutdown.ts) first hands
    // the runs back and closes the event streams cleanly.
    NEXT_MANUAL_SIG_HANDLE: "1",
    NODE_ENV: dev ? "development" : "production",
  };
  const childEnvironment = environmentForChild(decided);

  if (config.SEED_DEMO_USERS) {
    const seeded = await run(
      process.execPath,
      ["--import", "tsx", path.join(root, "scripts", "seed.ts")],
      childEnvironment,
    );
    if (seeded !== 0 || stopping) return stopSetUp(1);
  }

  const next = path.join(root, "node_modules", "next", "dist", "bin", "next");
  if (!dev && needsBuild()) {
    say("Building the app (first start or changed sources; takes about a minute)");
    const built = await run(process.execPath, [next, "build"], childEnvironment);
    if (built !== 0 || stopping) {
      if (!stopping) process.stderr.write("[airlock] The build failed; see the output above.\n");
      return stopSetUp(1);
    }
  }
  if (stopping) return;

  if (dev) {
    devServer = spawn(process.execPath, [next, "dev", "-p", String(config.PORT)], {
      cwd: root,
      env: childEnvironment,
      stdio: "inherit",
    });
    devServer.on("exit", (code) => {
      if (!stopping) {
        process.stderr.write(`[airlock] The server stopped (exit code ${code}).\n`);
        stopping = true;
        void stopSetUp(code ?? 1);
      }
    });
  } else {
    // The server code in this process reads its configuration from process.env (server/env.ts).
    Object.assign(process.env, decided);
    serving = true;
    await serveInThisProcess({ port: config.PORT, hostname: config.BIND_ADDRESS });
  }

  const probeHost =
    config.BIND_ADDRESS && !["0.0.0.0", "::"].includes(config.BIND_ADDRESS) ? config.BIND_ADDRESS : "127.0.0.1";
  if (await waitForHealth(`http://${probeHost.includes(":") ? `[${probeHost}]` : probeHost}:${config.PORT}`, 120_000)) {
    say(`Airlock is running at ${publicUrl}`);
    if (config.SEED_DEMO_USERS) {
      say("Demo sign-ins:");
      for (const user of DEMO_USERS) say(`  ${user.role.padEnd(8)} ${user.email} / ${user.password}`);
    }
  }
}

main().catch((error) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
