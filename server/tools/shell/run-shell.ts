/**
 * run_shell: one command line, run by `/bin/sh -c` in the workspace, with a timeout, an
 * output cap, no TTY (standard input is /dev/null) and an environment built from an
 * allowlist — nothing of the server's own environment (secrets, DATABASE_URL) is passed
 * on. The class comes from classify-command.ts; the preview is the exact argv, working
 * directory and environment names the process gets. Not idempotent: an arbitrary command
 * may not be safe to run twice.
 */
import { spawn } from "node:child_process";
import { mkdirSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { defineTool } from "../define-tool";
import { compileSensitivePatterns, DEFAULT_SENSITIVE_PATTERNS } from "../workspace/sensitive-patterns";
import { classifyCommandLine } from "./classify-command";

export interface ShellToolOptions {
  /** The working directory: the workspace root. */
  root: string;
  sensitivePatterns?: readonly string[];
  /** Replaces the read-only command names (each keeps its safe flags). */
  readAllowlist?: readonly string[];
  timeoutMs?: number;
  /** Bytes kept of standard output and of standard error each. */
  maxOutputBytes?: number;
  /** The shell; `/bin/sh` unless a test needs another. */
  shell?: string;
}

const SAFE_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * The whole environment of the command. Git gets no system or global config and a few
 * repository settings are pinned, so a workspace's .git/config cannot turn a read such as
 * `git status` into running a program (core.fsmonitor, a pager, an external diff).
 */
export function shellEnvironment(home: string): Record<string, string> {
  const pinned: [string, string][] = [
    ["core.fsmonitor", "false"],
    ["core.pager", "cat"],
    ["diff.external", ""],
    ["core.hooksPath", "/dev/null"],
  ];
  return {
    PATH: SAFE_PATH,
    HOME: home,
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
    GIT_CONFIG_COUNT: String(pinned.length),
    ...Object.fromEntries(
      pinned.flatMap(([key, value], index) => [
        [`GIT_CONFIG_KEY_${index}`, key],
        [`GIT_CONFIG_VALUE_${index}`, value],
      ]),
    ),
  };
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
  const shell = options.shell ?? "/bin/sh";
  const classify = (command: string) =>
    classifyCommandLine(command, {
      sensitive,
      ...(options.readAllowlist ? { allowlist: options.readAllowlist } : {}),
    });
  const workingDirectory = () => {
    mkdirSync(options.root, { recursive: true });
    return realpathSync(options.root);
  };
  const home = path.join(os.tmpdir(), "airlock-shell-home");
  const argvFor = (command: string) => [shell, "-c", command];

  return defineTool({
    name: "run_shell",
    description: `Run one shell command line (POSIX sh) in the workspace directory, without a terminal, and return its output. Read-only commands such as ls, cat, head, tail, wc, grep, find and git status/log/diff run at once; anything else waits for a human's approval. Times out after ${Math.round(timeoutMs / 1000)} s.`,
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
    async preview(input) {
      const classification = classify(input.command);
      const lines = [
        `argv: ${JSON.stringify(argvFor(input.command))}`,
        `working directory: ${workingDirectory()}`,
        `environment: ${Object.keys(shellEnvironment(home)).join(", ")}`,
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
      const cwd = workingDirectory();
      mkdirSync(home, { recursive: true });
      const [program, ...args] = argvFor(input.command) as [string, ...string[]];
      const started = Date.now();
      // Its own process group, so a timeout or cancel stops the pipeline's every process.
      const child = spawn(program, args, {
        cwd,
        env: shellEnvironment(home) as NodeJS.ProcessEnv,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const stdout = collector(maxOutputBytes);
      const stderr = collector(maxOutputBytes);
      let timedOut = false;
      const stop = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const terminate = () => {
        stop("SIGTERM");
        setTimeout(() => stop("SIGKILL"), 2_000).unref();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout.push(chunk);
        // A command that floods its output (`yes`) is stopped rather than left to run to the timeout.
        if (stdout.total > maxOutputBytes * 16) terminate();
      });
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      context.signal.addEventListener("abort", terminate, { once: true });
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
        context.signal.removeEventListener("abort", terminate);
      }
    },
  });
}
