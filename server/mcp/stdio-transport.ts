/**
 * The stdio transport for MCP servers Airlock starts itself. Unlike the SDK's own, the
 * child gets exactly the environment an admin configured plus PATH (the SDK's adds HOME,
 * USER, SHELL … of the Airlock process), runs in its own process group so a launcher
 * (npx, a shell script) and everything it started die together, and is killed with this
 * process: on close, and synchronously on exit whatever the reason.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

const STDERR_TAIL_CHARS = 2_000;
/** A line longer than this is not a JSON-RPC message from a sane server. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const KILL_AFTER_MS = 2_000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function track(child: ChildProcess) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Exit handlers are synchronous, and kill() is: no MCP child outlives this process.
    process.once("exit", () => {
      for (const alive of live) killGroup(alive, "SIGKILL");
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** Stops every stdio server this process started (graceful shutdown); exit does it anyway. */
export async function killAllStdioServers(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          killGroup(child, "SIGKILL");
        }),
    ),
  );
}

export function runningStdioServerPids(): number[] {
  return [...live].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
}

export interface StdioServerOptions {
  command: string;
  args: string[];
  cwd: string | null;
  /** Exactly what the admin configured; PATH is added from this process unless configured. */
  env: Record<string, string>;
  path: string;
}

export class ScrubbedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child?: ChildProcess;
  private readonly buffer = new ReadBuffer({ maxBufferSize: MAX_LINE_BYTES });
  private stderr = "";
  private closed = false;

  constructor(private readonly options: StdioServerOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The last lines the server wrote to stderr: what a failed start usually explains. */
  stderrTail(): string {
    return this.stderr.trim();
  }

  start(): Promise<void> {
    if (this.child) throw new Error("This transport was started already");
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.command, this.options.args, {
        // Exactly this, nothing inherited: the admin configured what the server may see.
        env: { PATH: this.options.path, ...this.options.env } as unknown as NodeJS.ProcessEnv,
        cwd: this.options.cwd ?? undefined,
        stdio: ["pipe", "pipe", "pipe"],
        shell: false,
        detached: true,
      });
      this.child = child;
      track(child);
      child.once("error", (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.once("spawn", () => resolve());
      child.once("close", (code, signal) => {
        this.child = undefined;
        if (!this.closed) {
          const tail = this.stderrTail();
          this.onerror?.(
            new Error(
              `The server process exited (${signal ? `signal ${signal}` : `code ${code}`})${tail ? `: ${tail.slice(-500)}` : ""}`,
            ),
          );
        }
        this.closed = true;
        this.onclose?.();
      });
      child.stdin?.on("error", (error) => this.onerror?.(error));
      child.stdout?.on("data", (chunk: Buffer) => this.receive(chunk));
      child.stderr?.on("data", (chunk: Buffer) => {
        this.stderr = (this.stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
      });
    });
  }

  private receive(chunk: Buffer) {
    try {
      this.buffer.append(chunk);
      for (;;) {
        const message = this.buffer.readMessage();
        if (message === null) break;
        this.onmessage?.(message);
      }
    } catch (error) {
      // Not JSON-RPC: the stream cannot be trusted to be in step any more.
      this.onerror?.(
        new Error(`The server sent something that is not JSON-RPC: ${(error as Error).message.slice(0, 300)}`),
      );
      void this.close();
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin) return reject(new Error("The server process is not running"));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once("drain", () => resolve());
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    this.buffer.clear();
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (!this.closed) {
        this.closed = true;
        this.onclose?.();
      }
      return;
    }
    this.closed = true;
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    child.stdin?.end();
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  }
}
