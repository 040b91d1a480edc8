/**
 * Starts N Airlock instances (instance.ts, each its own process) on one database, mixing
 * workers and web-only instances (AIRLOCK_WORKER=off), and talks to them as a browser
 * would: tRPC mutations and queries over HTTP, and a run's event stream over SSE with
 * resumption from the last event id. Used by the multi-instance tests, `npm run chaos`
 * and `npm run bench:load`. Every child is tracked and killed if its parent goes.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import superjson from "superjson";
import { environmentForChild } from "../env";
import type { RunEventData } from "../shared/run-events";
import { childSet } from "./child-set";
import type { InstanceMessage } from "./instance";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const ENTRY = path.join(import.meta.dirname, "instance.ts");
const OUTPUT_TAIL_CHARS = 20_000;

const live = childSet();

export interface InstanceOptions {
  databaseUrl: string;
  name: string;
  /** false: a web-only instance (AIRLOCK_WORKER=off). */
  worker: boolean;
  /** More environment: RUN_LEASE_MS, DEMO_MODEL_TOKEN_DELAY_MS, WORKSPACE_ROOT, … */
  env?: Record<string, string>;
}

export interface Instance {
  name: string;
  url: string;
  pid: number;
  /** The id its run worker claims runs under; null for a web-only instance. */
  workerId: string | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9, then wait until it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then wait until it is gone (its graceful shutdown). */
  stop(): Promise<void>;
  /** SIGTERM without waiting. */
  terminate(): void;
  output(): string;
}

export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY, options.name], {
    cwd: PROJECT_ROOT,
    env: environmentForChild({
      DATABASE_URL: options.databaseUrl,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      AIRLOCK_WORKER: options.worker ? "on" : "off",
      ...options.env,
    }),
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  live.add(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  child.on("error", (error) => {
    output = `${output}\n[instance: ${error.message}]`;
  });
  const ready = await new Promise<InstanceMessage>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`instance ${options.name} not ready in time:\n${output}`)),
      120_000,
    );
    child.once("message", (message: InstanceMessage) => {
      clearTimeout(timer);
      resolve(message);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`instance ${options.name} exited before it was ready:\n${output}`));
    });
  });
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    name: options.name,
    url: `http://127.0.0.1:${ready.port}`,
    pid: ready.pid,
    workerId: ready.workerId,
    exited,
    kill: () => signalAndWait("SIGKILL"),
    stop: () => signalAndWait("SIGTERM"),
    terminate: () => {
      child.kill("SIGTERM");
    },
    output: () => output,
  };
}

/** Starts the instances in parallel. */
export function startInstances(databaseUrl: string, specs: Omit<InstanceOptions, "databaseUrl">[]) {
  return Promise.all(specs.map((spec) => startInstance({ ...spec, databaseUrl })));
}

/** Kills every instance still alive and waits; for afterAll. */
export function killAllInstances(): Promise<void> {
  return live.killAll();
}

export class InstanceCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = "InstanceCallError";
  }
}

async function answer<T>(response: Response, path: string): Promise<T> {
  const body = (await response.json()) as {
    result?: { data?: unknown };
    error?: { json?: { message?: string; data?: { code?: string } } };
  };
  if (!response.ok || body.error) {
    const error = body.error?.json;
    throw new InstanceCallError(response.status, error?.data?.code, `${path}: ${error?.message ?? response.status}`);
  }
  return superjson.deserialize(body.result?.data as never) as T;
}

/** A tRPC mutation on `instance` as `userId`. */
export async function mutate<T = unknown>(instance: Instance, path: string, input: unknown, userId: string) {
  const response = await fetch(`${instance.url}/api/trpc/${path}`, {
    method: "POST",
    headers: { "x-test-user": userId, "content-type": "application/json" },
    body: JSON.stringify(superjson.serialize(input)),
  });
  return answer<T>(response, path);
}

/** A tRPC query on `instance` as `userId`. */
export async function query<T = unknown>(instance: Instance, path: string, input: unknown, userId: string) {
  const encoded = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  const response = await fetch(`${instance.url}/api/trpc/${path}?input=${encoded}`, {
    headers: { "x-test-user": userId },
  });
  return answer<T>(response, path);
}

export interface StreamedEvent {
  seq: number;
  data: RunEventData;
  /** performance.now() when the subscriber read it. */
  receivedAt: number;
}

export interface RunSubscription {
  events: StreamedEvent[];
  /** How the stream ended: the run's terminal event, an error frame (e.g. server:stopping), or the connection. */
  ended: Promise<{ how: "returned" | "error" | "cut"; code?: string; message?: string }>;
  /** Resolves with the first event (already received or later) that matches. */
  waitFor(predicate: (event: StreamedEvent) => boolean, timeoutMs?: number): Promise<StreamedEvent>;
  close(): void;
}

/**
 * Subscribes to chat.events on `instance` over SSE, from after `lastEventId`, as the
 * browser's httpSubscriptionLink does (its reconnect sends the last id it saw).
 */
export async function subscribeRunEvents(options: {
  instance: Instance;
  runId: string;
  userId: string;
  lastEventId?: number;
}): Promise<RunSubscription> {
  const input = { runId: options.runId, ...(options.lastEventId ? { lastEventId: String(options.lastEventId) } : {}) };
  const encoded = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
  const abort = new AbortController();
  const response = await fetch(`${options.instance.url}/api/trpc/chat.events?input=${encoded}`, {
    headers: { "x-test-user": options.userId, accept: "text/event-stream" },
    signal: abort.signal,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    throw new InstanceCallError(response.status, undefined, `chat.events: ${await response.text()}`);
  }
  const events: StreamedEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const ended = (async (): Promise<Awaited<RunSubscription["ended"]>> => {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return { how: "cut" };
        text += decoder.decode(value, { stream: true });
        const frames = text.split("\n\n");
        text = frames.pop() ?? "";
        for (const frame of frames) {
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          const id = /^id: (.*)$/m.exec(frame)?.[1];
          if (event === "serialized-error") {
            const error = superjson.deserialize(JSON.parse(data ?? "{}")) as {
              message?: string;
              data?: { code?: string };
            };
            return { how: "error", code: error?.data?.code, message: error?.message };
          }
          if (event === "return") return { how: "returned" };
          if (event === undefined && data !== undefined && id !== undefined) {
            events.push({
              seq: Number(id),
              data: superjson.deserialize(JSON.parse(data)) as RunEventData,
              receivedAt: performance.now(),
            });
            notify();
          }
        }
      }
    } catch {
      return { how: "cut" };
    } finally {
      notify();
    }
  })();
  let finished = false;
  void ended.then(() => {
    finished = true;
    notify();
  });
  return {
    events,
    ended,
    waitFor(predicate, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (finished) {
            done();
            reject(new Error(`the stream ended without the event (${events.length} events)`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no such event within ${timeoutMs} ms (${events.length} events)`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
