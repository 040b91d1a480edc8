/**
 * `npm start` as an operator runs it: one lean process tree that passes signals, a
 * supervised embedded PostgreSQL the app recovers from by itself, and an audit check that
 * reads the running database without stopping it. One app for the whole file (its first
 * start may build the app), killed at the end whatever happened.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConversation, sendMessage } from "../server/agent/conversations";
import { connectDatabaseForTests, db } from "../server/db/client";
import {
  embeddedPostgresUrl,
  findFreePort,
  portIsFree,
  processIsAlive,
  runningPostmaster,
} from "../server/db/embedded-postgres";
import { closeNotifications } from "../server/db/notifications";
import { isPostgres, processGroup } from "../server/testing/process-group";

const root = path.resolve(import.meta.dirname, "..");
/** Only a hang reaches these: the first start builds the app (minutes on a loaded 2-core machine). */
const START_HANG_MS = 900_000;
const RECOVERY_HANG_MS = 120_000;
const STOP_HANG_MS = 60_000;

let app: ChildProcess;
let output = "";
let port: number;
let temporary: string;
let dataDir: string;
let postgresDir: string;
let baseUrl: string;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, hangMs: number): Promise<T> {
  const deadline = Date.now() + hangMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}. Launcher output:\n${output.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function get(pathname: string, cookie = ""): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(`${baseUrl}${pathname}`, { redirect: "manual", headers: { cookie } });
    return { status: response.status, text: await response.text() };
  } catch {
    return { status: 0, text: "" };
  }
}

function cookiesOf(response: Response): string[] {
  return (response.headers.getSetCookie?.() ?? []).map((line) => line.split(";")[0] ?? "");
}

/** A credentials sign-in as the form posts it (next-auth's callback); its answer and the cookies it set. */
async function signIn(email: string, password: string): Promise<{ answer: string; cookie: string }> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const csrfCookies = cookiesOf(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const attempt = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }).toString(),
    redirect: "manual",
  });
  return {
    answer: `${attempt.headers.get("location") ?? ""} ${await attempt.text()}`,
    cookie: [...csrfCookies, ...cookiesOf(attempt)].join("; "),
  };
}

function launcherEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, ...extra };
  // Vitest's own settings and this process's test database are not the app's.
  for (const name of ["DATABASE_URL", "NODE_ENV", "VITEST", "VITEST_POOL_ID", "VITEST_WORKER_ID"])
    delete environment[name];
  return environment;
}

beforeAll(async () => {
  temporary = await mkdtemp(path.join(os.tmpdir(), "airlock-launcher-"));
  await chmod(temporary, 0o755); // Postgres runs as its own user
  dataDir = path.join(temporary, "data");
  postgresDir = path.join(dataDir, "postgres");
  port = await findFreePort();
  baseUrl = `http://127.0.0.1:${port}`;
  app = spawn("npm", ["start"], {
    cwd: root,
    detached: true, // its own process group: what is left of it is visible, and killable at the end
    env: launcherEnvironment({
      PORT: String(port),
      AIRLOCK_DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: "0",
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      // A long story streams for ~10 s: long enough to kill PostgreSQL under it.
      DEMO_MODEL_TOKEN_DELAY_MS: "20",
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  app.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  await until("the app to start", () => (output.includes("Airlock is running at") ? true : undefined), START_HANG_MS);
}, START_HANG_MS + 30_000);

afterAll(async () => {
  await closeNotifications();
  // The test's own Prisma client exists only once a test connected it to the app's database.
  if (process.env.DATABASE_URL) await db().$disconnect();
  if (app?.pid && processGroup(app.pid).length > 0) process.kill(-app.pid, "SIGKILL");
  const postmaster = postgresDir ? runningPostmaster(postgresDir) : undefined;
  if (postmaster) process.kill(postmaster.pid, "SIGKILL");
  if (temporary) await rm(temporary, { recursive: true, force: true });
}, 60_000);

describe("npm start", () => {
  it("serves from one Node process under npm, with no shell and no TypeScript loader", () => {
    const group = processGroup(app.pid ?? -1);
    const own = group.filter((member) => !isPostgres(member));
    // npm, and the one Node process that is the launcher and Next's server (Next renames it "next-server").
    expect(own).toHaveLength(2);
    expect(own[0]?.commandLine).toMatch(/^npm start/);
    expect(own[1]?.commandLine).toMatch(/^node .*scripts\/start\.mjs$|^next-server/);
    for (const member of own) expect(member.commandLine).not.toMatch(/tsx|ts-node|sh -c/);
    expect(group.some(isPostgres)).toBe(true);
  });

  it("serves with two malloc arenas: the launcher replaced itself with MALLOC_ARENA_MAX=2, keeping its pid", () => {
    const own = processGroup(app.pid ?? -1).filter((member) => !isPostgres(member));
    const server = own[1];
    expect(server).toBeDefined();
    const environ = readFileSync(`/proc/${server?.pid}/environ`, "utf8").split("\0");
    expect(environ).toContain("MALLOC_ARENA_MAX=2");
    // The same process npm started, not a child of it.
    expect(own).toHaveLength(2);
  });

  it("restarts a killed PostgreSQL; meanwhile it is not ready, says why safely, and sign-in says so; the run it cut completes", async () => {
    const signedIn = await signIn("user@airlock.local", "airlock-user");
    expect(signedIn.cookie).toContain("session-token");
    const before = runningPostmaster(postgresDir);
    expect(before).toBeDefined();
    if (!before) return;
    // A run streaming on the app's worker when its database dies.
    await connectDatabaseForTests(embeddedPostgresUrl(before.port, "airlock"));
    const user = await db().user.findUniqueOrThrow({ where: { email: "user@airlock.local" }, select: { id: true } });
    const streaming = await sendMessage({
      ownerId: user.id,
      conversationId: (await createConversation({ ownerId: user.id })).id,
      text: "tell me a long story",
    });
    await until(
      "the run to stream",
      async () =>
        (await db().runEvent.count({ where: { runId: streaming.id, type: "text-delta" } })) > 0 ? true : undefined,
      RECOVERY_HANG_MS,
    );
    process.kill(before.pid, "SIGKILL");
    await until("the postmaster to die", () => (processIsAlive(before.pid) ? undefined : true), RECOVERY_HANG_MS);
    // Hold its port so the supervisor's restarts fail until this test lets go: the outage is
    // long enough to look at, whatever the machine's speed. Connections are refused at once.
    const blocker = net.createServer((socket) => socket.destroy());
    await until(
      "the database port to be free to hold",
      () =>
        new Promise<true | undefined>((resolve) => {
          blocker.once("error", () => resolve(undefined));
          blocker.listen(before.port, "127.0.0.1", () => resolve(true));
        }),
      RECOVERY_HANG_MS,
    );
    try {
      const health = await until(
        "/api/health to report the outage",
        async () => {
          const answer = await get("/api/health");
          return answer.status === 503 ? answer : undefined;
        },
        RECOVERY_HANG_MS,
      );
      const body = JSON.parse(health.text) as { status: string; database: { status: string; error?: string } };
      expect(body.status).toBe("degraded");
      expect(body.database.status).toBe("unreachable");
      expect(body.database.error?.trim()).toBeTruthy();
      expect(health.text).not.toContain(String(before.port));
      expect(health.text).not.toContain("127.0.0.1");
      expect((await get("/api/health/ready")).status).toBe(503);
      expect((await get("/api/health/live")).status).toBe(200);

      // A sign-in attempt meanwhile.
      const { answer } = await signIn("user@airlock.local", "airlock-user");
      expect(answer, output.slice(-3000)).toContain("error=DatabaseUnavailable");
      expect(answer).not.toContain(String(before.port));
      expect(answer).not.toMatch(/prisma|127\.0\.0\.1|ECONNREFUSED/i);
      const page = await get("/signin?error=DatabaseUnavailable");
      expect(page.status).toBe(200);
      expect(page.text).toContain("Airlock cannot reach its database right now");
      // Whatever text a URL carries is never shown back (Next's router state keeps the URL
      // itself; what the page renders and hands the form is ours).
      const raw = "Invalid `prisma.user.findUnique()` invocation: connect ECONNREFUSED 127.0.0.1:5432";
      const echoed = await get(`/signin?error=${encodeURIComponent(raw)}`);
      expect(/<p role="alert"[^>]*>([^<]*)<\/p>/.exec(echoed.text)?.[1]).toBe("Sign-in failed. Try again.");
      expect(echoed.text).toContain('\\"initialError\\":\\"Sign-in failed. Try again.\\"');
      // A signed-in API call meanwhile: a clear 503, not a generic 500.
      const call = await get("/api/trpc/me.get", signedIn.cookie);
      expect(call.status).toBe(503);
      expect(call.text).toContain("cannot reach its database");
      expect(call.text).not.toContain("127.0.0.1");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }

    await until(
      "the app to be ready again",
      async () => ((await get("/api/health")).status === 200 ? true : undefined),
      RECOVERY_HANG_MS,
    );
    const after = runningPostmaster(postgresDir);
    expect(after?.pid).not.toBe(before.pid);
    expect(output).toMatch(/The embedded PostgreSQL stopped unexpectedly/);
    expect(output).toMatch(/The embedded PostgreSQL is running again/);

    // The app's worker completes the run the outage cut, once, and a new one.
    await connectDatabaseForTests(embeddedPostgresUrl(before.port, "airlock"));
    const conversation = await createConversation({ ownerId: user.id });
    const { id: runId } = await sendMessage({ ownerId: user.id, conversationId: conversation.id, text: "hello" });
    const finished = (id: string) =>
      until(
        "the run to finish",
        async () => {
          const run = await db().run.findUniqueOrThrow({ where: { id }, select: { status: true, error: true } });
          return ["COMPLETED", "FAILED", "CANCELLED"].includes(run.status) ? run : undefined;
        },
        RECOVERY_HANG_MS,
      );
    expect(await finished(streaming.id)).toEqual({ status: "COMPLETED", error: null });
    const answers = await db().message.findMany({
      where: { runId: streaming.id, role: "ASSISTANT" },
      select: { parts: true },
    });
    expect(answers).toHaveLength(1);
    expect(JSON.stringify(answers[0]?.parts)).toContain("That is the end of the story.");
    expect((await finished(runId)).status).toBe("COMPLETED");
  }, 600_000);

  it("audit:verify with the app's data directory reads its running database and leaves it running", async () => {
    const before = runningPostmaster(postgresDir);
    expect(before).toBeDefined();
    const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "audit-verify.ts")], {
        cwd: root,
        env: launcherEnvironment({ AIRLOCK_DATA_DIR: dataDir, LOG_LEVEL: "silent" }),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (chunk) => {
        text += chunk;
      });
      child.stderr.on("data", (chunk) => {
        text += chunk;
      });
      child.on("exit", (code) => resolve({ code, text }));
    });
    expect(result.text).toContain("Reading the running app's database");
    expect(result.text).toMatch(/Audit chain intact: \d+ events verified\./);
    expect(result.code).toBe(0);
    expect(runningPostmaster(postgresDir)?.pid).toBe(before?.pid);
    expect((await get("/api/health")).status).toBe(200);
  }, 180_000);

  it(
    "stops on SIGTERM to npm: every process of the group ends and the port is free",
    async () => {
      const pgid = app.pid ?? -1;
      const exited = new Promise<number | null>((resolve) => app.once("exit", (code) => resolve(code)));
      process.kill(pgid, "SIGTERM"); // npm only, as a process manager signals the process it started
      await until("the group to be gone", () => (processGroup(pgid).length === 0 ? true : undefined), STOP_HANG_MS);
      await exited;
      expect(await portIsFree(port, "0.0.0.0")).toBe(true);
      expect(runningPostmaster(postgresDir)).toBeUndefined();
    },
    STOP_HANG_MS + 30_000,
  );
});
