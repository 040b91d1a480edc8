/**
 * `npm run bench:idle`: the resident memory of a started Airlock, as an operator runs it.
 * Starts the production command (`node scripts/start.mjs`; `--via-npm` for `npm start`)
 * on a fresh data directory and a free port, in its own process group; warms it up
 * (sign-in page, a sign-in, the chat page, one demo-model run); measures the group at
 * rest; then keeps steady traffic going for `--soak-seconds` and samples the memory, to
 * see it stay flat. The embedded PostgreSQL is counted apart. Stops everything it started.
 * Last line: {"idleRssMB", "processes", "postgresRssMB", "soak"}.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findFreePort } from "../server/db/embedded-postgres";
import { type GroupProcess, isPostgres, processGroup } from "../server/testing/process-group";
import { startCommandFlags } from "./lib/production-instance";

const { values: options } = parseArgs({
  options: {
    "via-npm": { type: "boolean", default: false },
    "soak-seconds": { type: "string", default: "120" },
    "settle-seconds": { type: "string", default: "15" },
    "sample-seconds": { type: "string", default: "10" },
    /**
     * Node/V8 flags for the app's process (not with --via-npm), to compare settings:
     * --node-flags="--max-old-space-size=96". Default: the flags `npm start` runs node with.
     */
    "node-flags": { type: "string" },
  },
});
const soakSeconds = Number(options["soak-seconds"]);
const settleSeconds = Number(options["settle-seconds"]);
const sampleSeconds = Number(options["sample-seconds"]);
const root = path.resolve(import.meta.dirname, "..");

function progress(message: string) {
  process.stderr.write(`[bench:idle] ${message}\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;

let app: ChildProcess | undefined;
let temporary: string | undefined;

async function cleanUp() {
  if (app?.pid && processGroup(app.pid).length > 0) {
    process.kill(-app.pid, "SIGTERM");
    for (let waited = 0; waited < 30_000 && processGroup(app.pid).length > 0; waited += 200) await sleep(200);
    if (processGroup(app.pid).length > 0) process.kill(-app.pid, "SIGKILL");
  }
  if (temporary) await rm(temporary, { recursive: true, force: true });
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
}

function ownProcesses(): GroupProcess[] {
  return processGroup(app?.pid ?? -1).filter((member) => !isPostgres(member));
}

function postgresKB(): number {
  return processGroup(app?.pid ?? -1)
    .filter(isPostgres)
    .reduce((sum, member) => sum + member.rssKB, 0);
}

function cookiesOf(response: Response): string[] {
  return (response.headers.getSetCookie?.() ?? []).map((line) => line.split(";")[0] ?? "");
}

async function signIn(baseUrl: string): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const cookies = cookiesOf(csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const answer = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
    body: new URLSearchParams({
      csrfToken,
      email: "user@airlock.local",
      password: "airlock-user",
      json: "true",
    }).toString(),
    redirect: "manual",
  });
  return [...cookies, ...cookiesOf(answer)].join("; ");
}

/** A new conversation with one message to the demo model (its run streams on the app's worker). */
async function demoRun(baseUrl: string, cookie: string): Promise<void> {
  const post = async (procedure: string, input: unknown) => {
    const response = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, origin: baseUrl },
      body: JSON.stringify({ json: input }),
    });
    const body = (await response.json()) as { result?: { data?: { json?: Record<string, string> } } };
    if (!response.ok) throw new Error(`${procedure}: HTTP ${response.status} ${JSON.stringify(body)}`);
    return body.result?.data?.json ?? {};
  };
  const conversation = await post("conversation.create", {});
  await post("chat.send", { conversationId: conversation.id, text: "What files are in the workspace?" });
}

/** One round of the steady traffic: what a signed-in user's browser and a load balancer ask for. */
async function traffic(baseUrl: string, cookie: string): Promise<void> {
  const requests = [
    fetch(`${baseUrl}/api/health`),
    fetch(`${baseUrl}/api/health/live`),
    fetch(`${baseUrl}/signin`),
    fetch(`${baseUrl}/chat`, { headers: { cookie } }),
    fetch(`${baseUrl}/api/trpc/me.get`, { headers: { cookie } }),
  ];
  for (const response of await Promise.all(requests)) await response.arrayBuffer();
}

async function main() {
  temporary = await mkdtemp(path.join(os.tmpdir(), "airlock-bench-idle-"));
  await chmod(temporary, 0o755);
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    AIRLOCK_DATA_DIR: path.join(temporary, "data"),
    EMBEDDED_POSTGRES_PORT: "0",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  for (const name of ["DATABASE_URL", "NODE_ENV"]) delete environment[name];
  const nodeFlags = (options["node-flags"] ?? startCommandFlags().join(" ")).split(" ").filter((flag) => flag !== "");
  const [command, args] = options["via-npm"]
    ? ["npm", ["start"]]
    : [process.execPath, [...nodeFlags, "scripts/start.mjs"]];
  progress(`starting ${[path.basename(command), ...args].join(" ")} on port ${port}`);
  let output = "";
  app = spawn(command, args, { cwd: root, env: environment, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  app.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  app.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  for (let waited = 0; !output.includes("Airlock is running at"); waited += 250) {
    if (app.exitCode !== null || waited > 900_000) throw new Error(`The app did not start:\n${output.slice(-3000)}`);
    await sleep(250);
  }

  progress("warming up: pages, a sign-in, one demo-model run");
  const cookie = await signIn(baseUrl);
  for (let round = 0; round < 5; round++) await traffic(baseUrl, cookie);
  await demoRun(baseUrl, cookie);
  progress(`settling for ${settleSeconds} s`);
  await sleep(settleSeconds * 1000);
  const idle = ownProcesses();
  const idleKB = idle.reduce((sum, member) => sum + member.rssKB, 0);

  progress(`soak: steady traffic (5 requests every 500 ms, a demo run every ${sampleSeconds} s) for ${soakSeconds} s`);
  const samples: { second: number; rssMB: number }[] = [];
  const started = Date.now();
  let requests = 0;
  let runs = 0;
  let nextSample = 0;
  while (Date.now() - started < soakSeconds * 1000) {
    await traffic(baseUrl, cookie);
    requests += 5;
    const second = Math.round((Date.now() - started) / 1000);
    if (second >= nextSample) {
      await demoRun(baseUrl, cookie);
      runs++;
      samples.push({ second, rssMB: mb(ownProcesses().reduce((sum, member) => sum + member.rssKB, 0)) });
      nextSample += sampleSeconds;
    }
    await sleep(500);
  }
  await sleep(settleSeconds * 1000);
  const after = ownProcesses();
  const afterKB = after.reduce((sum, member) => sum + member.rssKB, 0);
  const firstHalf = samples.slice(0, Math.ceil(samples.length / 2)).map((sample) => sample.rssMB);
  const secondHalf = samples.slice(Math.ceil(samples.length / 2)).map((sample) => sample.rssMB);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

  process.stdout.write("\nIdle, after warm-up (Airlock's own processes; PostgreSQL apart)\n");
  process.stdout.write(`${"pid".padEnd(8)}${"RSS MB".padStart(8)}  process\n`);
  for (const member of idle) {
    process.stdout.write(
      `${String(member.pid).padEnd(8)}${String(mb(member.rssKB)).padStart(8)}  ${member.commandLine}\n`,
    );
  }
  process.stdout.write(`${"total".padEnd(8)}${String(mb(idleKB)).padStart(8)}\n`);
  process.stdout.write(
    `${"pg".padEnd(8)}${String(mb(postgresKB())).padStart(8)}  embedded PostgreSQL, all its processes\n`,
  );
  process.stdout.write(`\nSoak: ${requests} requests and ${runs} demo runs in ${soakSeconds} s\n`);
  for (const sample of samples)
    process.stdout.write(`  t=${String(sample.second).padStart(5)} s  ${sample.rssMB} MB\n`);
  process.stdout.write(`  at rest after the soak: ${mb(afterKB)} MB\n\n`);

  const report = {
    idleRssMB: mb(idleKB),
    command: options["via-npm"] ? "npm start" : ["node", ...nodeFlags, "scripts/start.mjs"].join(" "),
    processes: idle.map((member) => ({ pid: member.pid, name: member.commandLine, rssMB: mb(member.rssKB) })),
    postgresRssMB: mb(postgresKB()),
    soak: {
      seconds: soakSeconds,
      requests,
      runs,
      firstHalfMedianMB: median(firstHalf),
      secondHalfMedianMB: median(secondHalf),
      maxMB: Math.max(...samples.map((sample) => sample.rssMB)),
      afterMB: mb(afterKB),
    },
  };
  await cleanUp();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch(async (error) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  await cleanUp();
  process.exit(1);
});
