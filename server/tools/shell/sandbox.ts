/**
 * The OS sandbox every shell command runs in: bubblewrap, called directly. Inside, the
 * filesystem is an empty tmpfs root with the system's programs and libraries read-only,
 * a handful of harmless /etc entries, the workspace at /workspace (read-only unless the
 * call may write), a fresh /tmp and HOME, its own /proc (own pid namespace: no other
 * process is visible) and a minimal /dev. Every namespace is unshared — network
 * included, unless policy grants the call network access (an admin's confirmed rule):
 * then the sandbox shares the host's network (`--share-net`) and sees the few /etc files
 * name resolution and TLS need — and every capability dropped. The data directory, the app's checkout and
 * the rest of the host simply do not exist in there, whatever a command line says.
 *
 * Lifetime: `--die-with-parent` kills the whole sandboxed tree when the process that
 * spawned bwrap dies (kill -9 included), and the pid namespace ends every process in it
 * when its init goes. Resource limits are set with `ulimit` (hard and soft) by a tiny
 * shell prologue before the command runs, so the command cannot raise them again.
 *
 * Why bwrap directly rather than @anthropic-ai/sandbox-runtime: see the commit that
 * added this file. In short, the wrapper's value is a network proxy with domain
 * allowlists and macOS support; we need neither, and we need exact control of the
 * mounts (read-only workspace per call, no host /etc), of die-with-parent and of the
 * limits, which is a few dozen lines of argv.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const SANDBOX_WORKSPACE = "/workspace";
export const SANDBOX_HOME = "/home/airlock";
export const DEFAULT_BWRAP_PATH = "/usr/bin/bwrap";

export interface SandboxLimits {
  /** Address space of each process, bytes (ulimit -v). */
  memoryBytes: number;
  /** Processes of the sandbox's user (ulimit -p); the kernel does not enforce it for root. */
  processes: number;
  /** Largest file a command may write, bytes (ulimit -f). */
  fileSizeBytes: number;
  /** CPU time of each process, seconds (ulimit -t). */
  cpuSeconds: number;
  openFiles: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  memoryBytes: 2 * 1024 ** 3,
  processes: 512,
  fileSizeBytes: 256 * 1024 ** 2,
  cpuSeconds: 60,
  openFiles: 1024,
};

/** Read-only system paths, each bound only when it exists on the host (merged /usr or not). */
const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];

/**
 * The only /etc entries a command sees: Debian's program alternatives (awk, editor…),
 * the dynamic linker's cache and the time zone. No passwd, shadow, hosts, ssl keys or
 * anything an admin put there.
 */
const ETC_PATHS = ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"];

/** What a command with network access needs besides: name resolution and the CA certificates. */
const NETWORK_ETC_PATHS = [
  "/etc/resolv.conf",
  "/etc/hosts",
  "/etc/nsswitch.conf",
  "/etc/host.conf",
  "/etc/gai.conf",
  "/etc/ssl/certs",
  "/etc/ca-certificates",
  "/etc/ca-certificates.conf",
];

export interface SandboxCommand {
  /** The host directory bound at /workspace. */
  workspace: string;
  /** Bind the workspace read-write (only for calls a human approved as writes). */
  writable: boolean;
  /** Share the host's network (only when policy granted it for this call). */
  network?: boolean;
  /** The command line, run by `/bin/sh -c` inside. */
  command: string;
  /** The command's whole environment (bwrap clears everything else). */
  environment: Record<string, string>;
  limits?: SandboxLimits;
  bwrapPath?: string;
}

function systemBinds(network: boolean): string[] {
  const binds: string[] = [];
  for (const entry of [...SYSTEM_PATHS, ...ETC_PATHS, ...(network ? NETWORK_ETC_PATHS : [])]) {
    if (existsSync(entry)) binds.push("--ro-bind", entry, entry);
  }
  return binds;
}

/** `ulimit` takes one limit per call in dash; each sets the hard and the soft limit. */
function limitPrologue(limits: SandboxLimits): string {
  return [
    `ulimit -v ${Math.floor(limits.memoryBytes / 1024)}`,
    `ulimit -p ${limits.processes}`,
    `ulimit -f ${Math.floor(limits.fileSizeBytes / 512)}`,
    `ulimit -t ${limits.cpuSeconds}`,
    `ulimit -n ${limits.openFiles}`,
    "ulimit -c 0",
    'exec /bin/sh -c "$1"',
  ].join(" && ");
}

/** The full argv: `[bwrap, ...options, "--", "/bin/sh", "-c", prologue, name, command]`. */
export function sandboxArgv(options: SandboxCommand): string[] {
  const limits = options.limits ?? DEFAULT_SANDBOX_LIMITS;
  const environment = Object.entries({ ...options.environment, HOME: SANDBOX_HOME }).flatMap(([name, value]) => [
    "--setenv",
    name,
    value,
  ]);
  return [
    options.bwrapPath ?? DEFAULT_BWRAP_PATH,
    "--unshare-all",
    ...(options.network === true ? ["--share-net"] : []),
    "--unshare-user",
    "--cap-drop",
    "ALL",
    "--die-with-parent",
    "--new-session",
    "--hostname",
    "airlock-sandbox",
    ...systemBinds(options.network === true),
    options.writable ? "--bind" : "--ro-bind",
    options.workspace,
    SANDBOX_WORKSPACE,
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--tmpfs",
    SANDBOX_HOME,
    "--chdir",
    SANDBOX_WORKSPACE,
    "--clearenv",
    ...environment,
    "--",
    "/bin/sh",
    "-c",
    limitPrologue(limits),
    "airlock-sandbox",
    options.command,
  ];
}

export type SandboxStatus = { available: true } | { available: false; reason: string };

const PROBE_OUTPUT = "airlock-sandbox-ok";
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Runs a trivial command in a throwaway workspace through the exact argv the tool uses.
 * Never throws: an unusable sandbox is a status with the reason an admin needs to fix it.
 */
export async function probeSandbox(bwrapPath = DEFAULT_BWRAP_PATH): Promise<SandboxStatus> {
  if (!existsSync(bwrapPath)) {
    return {
      available: false,
      reason: `bubblewrap is not installed (${bwrapPath} is missing): install it (Debian: apt-get install bubblewrap).`,
    };
  }
  const workspace = mkdtempSync(path.join(os.tmpdir(), "airlock-sandbox-probe-"));
  try {
    const [program, ...args] = sandboxArgv({
      workspace,
      writable: false,
      command: `echo ${PROBE_OUTPUT}`,
      environment: { PATH: "/usr/bin:/bin" },
      bwrapPath,
    }) as [string, ...string[]];
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        let stdout = "";
        let stderr = "";
        const child = spawn(program, args, { env: {} as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
        const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
        });
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
        });
        child.once("error", (error) => {
          clearTimeout(timer);
          resolve({ code: null, stdout, stderr: error.message });
        });
        child.once("close", (exitCode) => {
          clearTimeout(timer);
          resolve({ code: exitCode, stdout, stderr });
        });
      },
    );
    if (code === 0 && stdout.trim() === PROBE_OUTPUT) return { available: true };
    return {
      available: false,
      reason: `bubblewrap cannot start a sandbox here (exit ${code ?? "none"}): ${stderr.trim().slice(0, 500) || "no output"}. Unprivileged user namespaces must be allowed (sysctl kernel.unprivileged_userns_clone=1).`,
    };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

let cachedStatus: Promise<SandboxStatus> | undefined;

/** The probe's answer for this process: the host does not change under a running server. */
export function sandboxStatus(): Promise<SandboxStatus> {
  cachedStatus ??= probeSandbox();
  return cachedStatus;
}
