/**
 * Starts crash-worker.ts as a real child process (Node with the tsx loader, so it runs
 * the TypeScript sources as they are) and kills it with SIGKILL. Every child is
 * tracked, so a test's afterAll — or, failing that, this process's exit — can kill
 * whatever is still alive and no orphan keeps claiming runs.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { environmentForChild } from "../env";
import { childSet } from "./child-set";
import type { CrashWorkerConfig, CrashWorkerMessage } from "./crash-worker";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const CRASH_WORKER_ENTRY = path.join(import.meta.dirname, "crash-worker.ts");
const OUTPUT_TAIL_CHARS = 20_000;

const liveChildren = childSet();

export interface CrashWorkerProcess {
  workerId: string;
  pid: number;
  /** Resolves when the worker is claiming runs; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The next message matching `predicate`; rejects on timeout or exit. */
  waitForMessage<T extends CrashWorkerMessage>(
    predicate: (message: CrashWorkerMessage) => message is T,
    timeoutMs?: number,
  ): Promise<T>;
  /** kill -9, then wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), then wait until the process is gone. */
  stop(): Promise<void>;
  /** The tail of what the child wrote, for failure messages. */
  output(): string;
}

export function spawnCrashWorker(options: { databaseUrl: string; config: CrashWorkerConfig }): CrashWorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CRASH_WORKER_ENTRY, JSON.stringify(options.config)], {
    cwd: PROJECT_ROOT,
    env: environmentForChild({ DATABASE_URL: options.databaseUrl, NODE_ENV: "test", LOG_LEVEL: "warn" }),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  liveChildren.add(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  let exitedState: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      liveChildren.delete(child);
      exitedState = { code, signal };
      resolve(exitedState);
    });
    // A process that could not be started (EAGAIN, ENOMEM on a loaded machine) or signalled
    // reports an 'error' event, which unheard is an uncaught exception in the campaign.
    // One that never started also never exits: count it as exited, so waiters fail clearly.
    child.on("error", (error) => {
      output = `${output}\n[crash worker: ${error.message}]`.slice(-OUTPUT_TAIL_CHARS);
      if (child.pid !== undefined || exitedState) return;
      liveChildren.delete(child);
      exitedState = { code: null, signal: null };
      resolve(exitedState);
      child.emit("exit", null, null);
    });
  });

  const waitForMessage = <T extends CrashWorkerMessage>(
    predicate: (message: CrashWorkerMessage) => message is T,
    timeoutMs = 120_000,
  ): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      const onMessage = (message: unknown) => {
        if (!predicate(message as CrashWorkerMessage)) return;
        cleanup();
        resolve(message as T);
      };
      const onExit = () => {
        cleanup();
        reject(new Error(`crash worker ${child.pid} exited while a test waited for it:\n${output}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`crash worker ${child.pid} sent nothing expected within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      if (exitedState) return onExit();
      child.on("message", onMessage);
      child.once("exit", onExit);
    });

  const ready = waitForMessage(
    (message): message is Extract<CrashWorkerMessage, { type: "ready" }> => message.type === "ready",
  ).then(() => undefined);
  // A worker killed before it is ready is a normal part of the campaign, not an error.
  ready.catch(() => {});

  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (!exitedState) child.kill(signal);
    await exited;
  };

  return {
    workerId: options.config.workerId,
    pid: child.pid ?? -1,
    ready,
    exited,
    waitForMessage,
    kill: () => signalAndWait("SIGKILL"),
    stop: () => signalAndWait("SIGTERM"),
    output: () => output,
  };
}

/** Kills every crash worker still alive and waits for them; for afterAll. */
export function killAllCrashWorkers(): Promise<void> {
  return liveChildren.killAll();
}
