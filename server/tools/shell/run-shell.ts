/**
 * run_shell: one command line, run by `/bin/sh -c` inside the OS sandbox (sandbox.ts):
 * the workspace at /workspace — read-only unless the call runs as an approved
 * DESTRUCTIVE one — the system's programs read-only, no network (unless policy grants the
 * call network access: an admin's confirmed rule, `context.network`), its own /proc, a fresh
 * /tmp and HOME, resource limits, a timeout and an output cap, no TTY (standard input is
 * /dev/null) and an environment built from an allowlist. The sandbox dies with the
 * worker; every way out of a call also kills it. Where no sandbox can start, the tool is
 * unavailable (the model and the admin console are told why) unless an admin switched on
 * the audited "unsandboxed shell" setting. The class comes from classify-command.ts and
 * only decides who must approve; confinement never depends on it.
 * Not idempotent: an arbitrary command may not be safe to run twice.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { defineTool, type ToolContext } from "../define-tool";
import { compileSensitivePatterns, DEFAULT_SENSITIVE_PATTERNS } from "../workspace/sensitive-patterns";
import { classifyCommandLine } from "./classify-command";
import {
  DEFAULT_BWRAP_PATH,
  SANDBOX_HOME,
  SANDBOX_WORKSPACE,
  type SandboxLimits,
  type SandboxStatus,
  sandboxArgv,
  sandboxStatus,
} from "./sandbox";

export interface ShellToolOptions {
  /** The working directory: the workspace root. */
  root: string;
  sensitivePatterns?: readonly string[];
  /** Replaces the read-only command names (each keeps its safe flags). */
  readAllowlist?: readonly string[];
  timeoutMs?: number;
  /** Bytes kept of standard output and of standard error each. */
  maxOutputBytes?: number;
  limits?: SandboxLimits;
  bwrapPath?: string;
  /** Whether the sandbox works on this host; default: probed once per process. */
  sandbox?: () => Promise<SandboxStatus>;
  /** The admin's audited "unsandboxed shell" setting, read at every call; default off. */
  unsandboxedAllowed?: () => Promise<boolean>;
}

const SAFE_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * The whole environment of the command. Git gets no system or global config, never
 * walks above the workspace to find a repository, and a few repository settings are
 * pinned, so a workspace's .git/config cannot turn `git status` into running a program
 * (core.fsmonitor, a pager, hooks). An external diff or textconv driver still can run
 * from `git diff`/`git log -p`: the classifier sends those to a reviewer unless they say
 * --no-ext-diff --no-textconv, and the sandbox confines whatever runs.
 */
export function shellEnvironment(options: { home: string; ceiling: string }): Record<string, string> {
  const pinned: [string, string][] = [
    ["core.fsmonitor", "false"],
    ["core.pager", "cat"],
    ["core.hooksPath", "/dev/null"],
  ];
  return {
    PATH: SAFE_PATH,
    HOME: options.home,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TERM: "dumb",
    NO_COLOR: "1",
    PAGER: "cat",
    GIT_PAGER: "cat",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_OPTIONAL_LOCKS: "0",
    GIT_CEILING_DIRECTORIES: options.ceiling,
    GIT_AUTHOR_NAME: "Airlock agent",
    GIT_AUTHOR_EMAIL: "agent@airlock.invalid",
    GIT_COMMITTER_NAME: "Airlock agent",
    GIT_COMMITTER_EMAIL: "agent@airlock.invalid",
    GIT_CONFIG_COUNT: String(pinned.length),
    ...Object.fromEntries(
      pinned.flatMap(([key, value], index) => [
        [`GIT_CONFIG_KEY_${index}`, key],
        [`GIT_CONFIG_VALUE_${index}`, value],
      ]),
    ),
  };
}

/** Inside the sandbox git stops at /workspace: `/` is the ceiling it never enters. */
const SANDBOX_ENVIRONMENT = shellEnvironment({ home: SANDBOX_HOME, ceiling: "/" });

/** A call may write to the workspace only when it runs as an approved destructive call. */
export function mayWrite(context: Pick<ToolContext, "riskClass">): boolean {
  return context.riskClass === "DESTRUCTIVE";
}

/** Keeps the first `limit` bytes of a stream and counts the rest. */
function collector(limit: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  return {
    push(chunk: Buffer) {
      total += chunk.length;
      if (kept < limit) {
        const slice = chunk.subarray(0, limit - kept);
        chunks.push(slice);
        kept += slice.length;
      }
    },
    get total() {
      return total;
    },
    text: () => new TextDecoder("utf-8").decode(Buffer.concat(chunks)),
    truncated: () => total > kept,
  };
}

export function createRunShellTool(options: ShellToolOptions) {
  const sensitive = compileSensitivePatterns(options.sensitivePatterns ?? DEFAULT_SENSITIVE_PATTERNS);
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  const bwrapPath = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
  const probe = options.sandbox ?? sandboxStatus;
  const unsandboxedAllowed = options.unsandboxedAllowed ?? (async () => false);
  const classify = (command: string) =>
    classifyCommandLine(command, {
      sensitive,
      ...(options.readAllowlist ? { allowlist: options.readAllowlist } : {}),
    });
  const workingDirectory = () => {
    mkdirSync(options.root, { recursive: true });
    return realpathSync(options.root);
  };
  /** How this call runs, or why it cannot: the sandbox, the admin's unsandboxed mode, or nothing. */
  const mode = async (): Promise<{ sandboxed: boolean } | { unavailable: string }> => {
    const status = await probe();
    if (status.available) return { sandboxed: true };
    if (await unsandboxedAllowed()) return { sandboxed: false };
    return {
      unavailable: `run_shell is disabled: no OS sandbox is available on this server (${status.reason}) and an admin has not allowed an unsandboxed shell.`,
    };
  };
  const argvFor = (
    command: string,
    workspace: string,
    access: { writable: boolean; network: boolean },
    sandboxed: boolean,
  ): string[] => {
    if (sandboxed) {
      return sandboxArgv({
        workspace,
        writable: access.writable,
        network: access.network,
        command,
        environment: SANDBOX_ENVIRONMENT,
        bwrapPath,
        ...(options.limits ? { limits: options.limits } : {}),
      });
    }
    // Unsandboxed (an admin's audited choice): at least the shell dies with the worker.
    const pdeath = existsSync("/usr/bin/setpriv") ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--"] : [];
    return [...pdeath, "/bin/sh", "-c", command];
  };

  return defineTool({
    name: "run_shell",
    description: `Run one shell command line (POSIX sh) in the workspace directory, without a terminal, and return its output. It runs in a sandbox that sees only the workspace (as /workspace), with no network unless an admin's rule allows it. Read-only commands such as ls, cat, head, tail, wc, grep, find, git status/log and git diff --no-ext-diff --no-textconv run at once, with the workspace read-only; anything else waits for a human's approval. Times out after ${Math.round(timeoutMs / 1000)} s.`,
    input: z.object({ command: z.string().min(1).max(10_000).describe("The command line, e.g. ls -la src") }),
    output: z.object({
      command: z.string(),
      exitCode: z.number().int().nullable(),
      signal: z.string().nullable(),
      stdout: z.string(),
      stderr: z.string(),
      truncated: z.boolean(),
      timedOut: z.boolean(),
      durationMs: z.number().int().nonnegative(),
    }),
    risk: "DESTRUCTIVE",
    idempotent: false,
    async unavailable() {
      const current = await mode();
      return "unavailable" in current ? current.unavailable : null;
    },
    classify(input) {
      return classify(input.command).risk;
    },
    facts(input) {
      const classification = classify(input.command);
      return {
        command: classification.commands[0] ?? "",
        commands: [...new Set(classification.commands)],
        hazards: classification.parsed.hazards,
      };
    },
    async preview(input, context) {
      const classification = classify(input.command);
      const current = await mode();
      const sandboxed = "sandboxed" in current && current.sandboxed;
      const workspace = workingDirectory();
      const lines = [
        // What runs once approved: an approved call gets the workspace writable.
        `argv: ${JSON.stringify(argvFor(input.command, workspace, { writable: true, network: context.network }, sandboxed))}`,
        sandboxed
          ? `sandbox: bubblewrap; sees only the workspace (${workspace} as ${SANDBOX_WORKSPACE}, writable once approved)`
          : "sandbox: NONE (an admin allowed an unsandboxed shell)",
        context.network
          ? "network: allowed by rule (an admin's confirmed policy rule): the host's network, DNS and CA certificates"
          : sandboxed
            ? "network: no network"
            : "network: the host's (unsandboxed)",
        `working directory: ${sandboxed ? SANDBOX_WORKSPACE : workspace}`,
        `environment: ${Object.keys(SANDBOX_ENVIRONMENT).join(", ")}`,
        `timeout: ${Math.round(timeoutMs / 1000)} s, no terminal, standard input empty`,
        "",
        "commands:",
        ...classification.parsed.commands.map(
          (command, index) =>
            `  ${index + 1}. ${JSON.stringify(command.words.map((word) => word.value))}${command.next ? ` ${command.next}` : ""}`,
        ),
        ...(classification.reasons.length > 0
          ? ["", "why this is not a plain read:", ...classification.reasons.map((reason) => `  - ${reason}`)]
          : []),
      ];
      return { summary: `Run \`${input.command}\``, detail: lines.join("\n"), format: "shell" };
    },
    async execute(input, context) {
      context.signal.throwIfAborted();
      const current = await mode();
      // Fails closed even if an admin's class override let the call past policy.
      if ("unavailable" in current) throw new Error(current.unavailable);
      const workspace = workingDirectory();
      const access = { writable: mayWrite(context), network: context.network };
      const [program, ...args] = argvFor(input.command, workspace, access, current.sandboxed) as [string, ...string[]];
      const home = path.join(os.tmpdir(), "airlock-shell-home");
      if (!current.sandboxed) mkdirSync(home, { recursive: true });
      const started = Date.now();
      // Its own process group, so every exit path can stop the whole tree at once; the
      // sandbox itself also dies with this process (--die-with-parent).
      const child = spawn(program, args, {
        cwd: workspace,
        // bwrap itself gets nothing (its own /proc/1/environ is visible inside); it sets the command's.
        env: (current.sandboxed
          ? {}
          : shellEnvironment({ home, ceiling: path.dirname(workspace) })) as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const stdout = collector(maxOutputBytes);
      const stderr = collector(maxOutputBytes);
      let timedOut = false;
      // SIGKILL at once: a sandboxed command holds nothing worth a graceful stop.
      const kill = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        // A command that floods its output (`yes`) is stopped rather than left to run to the timeout.
        if (stdout.total > maxOutputBytes * 16) kill();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr.push(chunk);
        if (stderr.total > maxOutputBytes * 16) kill();
      });
      context.signal.addEventListener("abort", kill, { once: true });
      try {
        const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
          (resolve, reject) => {
            child.once("error", reject);
            child.once("close", (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
          },
        );
        context.signal.throwIfAborted();
        return {
          command: input.command,
          exitCode: code,
          signal,
          stdout: stdout.text(),
          stderr: stderr.text(),
          truncated: stdout.truncated() || stderr.truncated(),
          timedOut,
          durationMs: Date.now() - started,
        };
      } finally {
        clearTimeout(timer);
        context.signal.removeEventListener("abort", kill);
        // Whatever way the call ends, nothing of it outlives it (a background job included).
        kill();
      }
    },
  });
}
