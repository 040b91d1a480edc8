/**
 * A production Airlock instance for load runs: the command `npm start` execs (node with
 * package.json's flags, scripts/start.mjs → dist/start.mjs, Next in the same process),
 * pointed at a shared database with DATABASE_URL, in its own process group so its
 * resident memory can be read from /proc and everything it started can be stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { type GroupProcess, processGroup } from "../../server/testing/process-group";

const root = path.resolve(import.meta.dirname, "../..");

/** The Node flags of `npm start` (`exec node <flags> scripts/start.mjs`), read from package.json. */
export function startCommandFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: { start: string } })
    .scripts;
  const words = scripts.start.split(/\s+/);
  return words.slice(words.indexOf("node") + 1, words.indexOf("scripts/start.mjs"));
}

export interface ProductionInstance {
  name: string;
  url: string;
  pid: number;
  /** Resident memory of the instance's processes, in kB. */
  rssKB(): number;
  processes(): GroupProcess[];
  output(): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every instance started and not yet stopped, including those still starting (building, migrating). */
const started = new Set<() => Promise<void>>();

/** Stops every instance this process started; for a signal or an error. */
export async function stopAllInstances(): Promise<void> {
  await Promise.allSettled([...started].map((stop) => stop()));
}

export async function startProductionInstance(options: {
  name: string;
  port: number;
  env: Record<string, string>;
  /** More Node flags after npm start's own, e.g. --cpu-prof --cpu-prof-dir=… to profile the instance. */
  nodeFlags?: string[];
  /** How long the first start may take (it may build the app). */
  timeoutMs?: number;
}): Promise<ProductionInstance> {
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    PORT: String(options.port),
    NEXTAUTH_URL: `http://127.0.0.1:${options.port}`,
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // The launcher decides NODE_ENV itself (production when serving).
  for (const name of ["NODE_ENV"]) delete environment[name];
  const child: ChildProcess = spawn(
    process.execPath,
    [...startCommandFlags(), ...(options.nodeFlags ?? []), "scripts/start.mjs"],
    {
      cwd: root,
      env: environment,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-50_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const pid = child.pid ?? -1;
  const group = () => processGroup(pid);
  const stop = async () => {
    if (group().length === 0) return;
    process.kill(-pid, "SIGTERM");
    for (let waited = 0; waited < 30_000 && group().length > 0; waited += 200) await sleep(200);
    if (group().length > 0) process.kill(-pid, "SIGKILL");
    started.delete(stop);
  };
  started.add(stop);
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  while (!output.includes("Airlock is running at")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`instance ${options.name} did not start:\n${output.slice(-4000)}`);
    }
    await sleep(200);
  }
  return {
    name: options.name,
    url: `http://127.0.0.1:${options.port}`,
    pid,
    rssKB: () => group().reduce((sum, member) => sum + member.rssKB, 0),
    processes: group,
    output: () => output,
    stop,
  };
}
