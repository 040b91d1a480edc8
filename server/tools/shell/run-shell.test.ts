import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolContext } from "../define-tool";
import { classify, execute, preview, testToolContext } from "../testing/tool-harness";
import { seedWorkspace } from "../workspace/seed-workspace";
import { createRunShellTool } from "./run-shell";
import { probeSandbox } from "./sandbox";

/**
 * The old layout on purpose: the workspace inside the data directory, next to the
 * secrets, and the data directory inside a git checkout. The sandbox must keep all of
 * it out of reach even so.
 */
let base: string;
let dataDir: string;
let root: string;
const SERVER_SECRET = "server-secret-value-7d1f";
const AUTH_SECRET = "auth-secret-4b9e1c0d-forge-an-admin";
const SECRETS_KEY = "secrets-key-a81f-do-not-leak";
const CHECKOUT_SECRET = "checkout-commit-9c2e-enclosing-repository";
const APP_CHECKOUT = path.resolve(import.meta.dirname, "../../..");

/** A call policy let through as a read: the workspace read-only. */
const asRead = (): ToolContext => testToolContext();
/** A call a reviewer approved as destructive: the workspace writable, nothing else. */
const asApproved = (overrides: Partial<ToolContext> = {}): ToolContext =>
  testToolContext({ riskClass: "DESTRUCTIVE", approved: true, ...overrides });

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "airlock-shell-"));
  execFileSync("git", ["init", "-q", base]);
  execFileSync("git", [
    "-C",
    base,
    "-c",
    "user.email=t@t",
    "-c",
    "user.name=t",
    "commit",
    "-q",
    "--allow-empty",
    "-m",
    CHECKOUT_SECRET,
  ]);
  dataDir = path.join(base, "data");
  root = path.join(dataDir, "workspace");
  await seedWorkspace(root);
  await writeFile(path.join(dataDir, "auth-secret"), `${AUTH_SECRET}\n`);
  await writeFile(path.join(dataDir, "secrets-key"), `${SECRETS_KEY}\n`);
  // The server's own environment holds secrets the command must never see.
  process.env.AIRLOCK_TEST_SECRET = SERVER_SECRET;
});

afterAll(async () => {
  delete process.env.AIRLOCK_TEST_SECRET;
  await rm(base, { recursive: true, force: true });
});

const tool = (options: Partial<Parameters<typeof createRunShellTool>[0]> = {}) =>
  createRunShellTool({ root, timeoutMs: 5_000, ...options });

const everything = (result: { stdout: string; stderr: string }) => `${result.stdout}\n${result.stderr}`;

describe("run_shell", () => {
  it("runs a read in the workspace and returns its output", async () => {
    expect(await classify(tool(), { command: "ls -la" })).toBe("READ");
    const result = await execute(tool(), { command: "ls -la" });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, truncated: false });
    expect(result.stdout).toContain("README.md");
    expect(result.stdout).toContain("old-notes.md");
    const piped = await execute(tool(), { command: "grep -n TODO src/index.ts | wc -l" });
    expect(piped.stdout.trim()).toBe("1");
  });

  it("passes no secret and no DATABASE_URL, only the scrubbed environment", async () => {
    const result = await execute(tool(), { command: "env" });
    expect(result.stdout).not.toContain(SERVER_SECRET);
    expect(result.stdout).not.toMatch(/DATABASE_URL|SECRETS_KEY|NEXTAUTH_SECRET|OPENAI_API_KEY|AIRLOCK_TEST_SECRET/);
    expect(result.stdout).toContain("PATH=/usr/local/bin:/usr/bin:/bin");
    expect(result.stdout).toContain("GIT_CEILING_DIRECTORIES=/");
  });

  it("has no terminal and an empty standard input", async () => {
    const result = await execute(tool(), { command: "test -t 0 || echo no-tty; cat" });
    expect(result.stdout).toBe("no-tty\n");
  });

  it("stops at the timeout, with the whole pipeline", async () => {
    const result = await execute(tool({ timeoutMs: 300 }), { command: "sleep 30 | cat" });
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it("stops when the call is aborted", async () => {
    const controller = new AbortController();
    const running = execute(tool(), { command: "sleep 30" }, testToolContext({ signal: controller.signal }));
    setTimeout(() => controller.abort(new Error("cancelled by user")), 100);
    await expect(running).rejects.toThrow(/cancelled by user/);
  });

  it("caps the output it keeps, and stops a flood", async () => {
    const result = await execute(tool({ maxOutputBytes: 1024 }), { command: "yes airlock" });
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.stdout)).toBe(1024);
    expect(result.timedOut).toBe(false);
  });

  it("previews the exact sandboxed argv it then runs once approved", async () => {
    const command = `printf '%s|' "$0" "$PWD" > where.txt; rm old-notes.md`;
    expect(await classify(tool(), { command })).toBe("DESTRUCTIVE");
    const shown = await preview(tool(), { command });
    const argv = JSON.parse((shown.detail as string).split("\n")[0]?.replace(/^argv: /, "") ?? "[]");
    expect(argv[0]).toBe("/usr/bin/bwrap");
    expect(argv).toEqual(expect.arrayContaining(["--unshare-all", "--die-with-parent", "--clearenv"]));
    expect(argv.slice(-1)).toEqual([command]);
    expect(shown.detail).toContain("working directory: /workspace");
    expect(shown.detail).toContain('2. ["rm","old-notes.md"]');
    expect(shown.detail).toContain("rm is not on the read-only allowlist");
    await execute(tool(), { command }, asApproved());
    expect(await readFile(path.join(root, "where.txt"), "utf8")).toBe("/bin/sh|/workspace|");
    await expect(readFile(path.join(root, "old-notes.md"))).rejects.toThrow();
  });

  it("runs quoted metacharacters as literal text", async () => {
    const command = `echo 'a; touch pwned' "b && touch pwned" c\\;touch\\ pwned`;
    expect(await classify(tool(), { command })).toBe("READ");
    const result = await execute(tool(), { command });
    expect(result.stdout).toBe("a; touch pwned b && touch pwned c;touch pwned\n");
    await expect(readFile(path.join(root, "pwned"))).rejects.toThrow();
  });

  it("keeps a workspace's git config from running programs on git status", async () => {
    const repository = path.join(root, "repo");
    await execute(tool(), { command: "mkdir repo && cd repo && git init -q . && echo x > f" }, asApproved());
    await writeFile(path.join(repository, ".git", "config"), "[core]\n\tfsmonitor = touch ../fsmonitor-ran\n", {
      flag: "a",
    });
    const status = await execute(createRunShellTool({ root: repository }), { command: "git status --short" });
    expect(status.exitCode).toBe(0);
    await expect(readFile(path.join(root, "fsmonitor-ran"))).rejects.toThrow();
  });

  it("reports facts about the commands", async () => {
    expect(await tool().facts?.({ command: "rm -rf build && ls" })).toEqual({
      command: "rm",
      commands: ["rm", "ls"],
      hazards: [],
    });
  });
});

describe("run_shell sandbox", () => {
  it("gives a call classified READ a read-only workspace, and only an approved one a writable one", async () => {
    const read = await execute(tool(), { command: "touch made-by-read; echo x > also-by-read" }, asRead());
    expect(read.exitCode).not.toBe(0);
    expect(read.stderr).toMatch(/Read-only file system/);
    expect(existsSync(path.join(root, "made-by-read"))).toBe(false);
    expect(existsSync(path.join(root, "also-by-read"))).toBe(false);
    // An approved sensitive read is still a read.
    await execute(
      tool(),
      { command: "touch made-by-sensitive" },
      testToolContext({ riskClass: "SENSITIVE_READ", approved: true }),
    );
    expect(existsSync(path.join(root, "made-by-sensitive"))).toBe(false);
    const write = await execute(tool(), { command: "touch made-by-approved" }, asApproved());
    expect(write.exitCode).toBe(0);
    expect(existsSync(path.join(root, "made-by-approved"))).toBe(true);
  });

  // The reported attacks, run even as approved writes: nothing outside the workspace exists in there.
  const attacks = [
    "cat ../auth-secret",
    "find -files0-from ../auth-secret",
    "find -files0-from ../secrets-key",
    "find -L .. -maxdepth 1",
    "find -H / -maxdepth 3 -name auth-secret",
    "find -P /etc -maxdepth 2 -name 'secrets-key'",
    "cat ../../data/auth-secret ../secrets-key",
    "ls -la ..; cat ../*",
    "git log --name-only --pretty ..",
    "git log --all --format=%s",
    "cat /proc/1/environ; cat /proc/*/environ",
  ];
  for (const command of attacks) {
    it(`keeps the data directory and the checkout out of reach: ${command}`, async () => {
      for (const context of [asRead(), asApproved()]) {
        const result = await execute(tool(), { command }, context);
        const seen = everything(result);
        expect(seen).not.toContain(AUTH_SECRET);
        expect(seen).not.toContain(SECRETS_KEY);
        expect(seen).not.toContain(CHECKOUT_SECRET);
        expect(seen).not.toContain(SERVER_SECRET);
        // Not even its name: a listing of the data directory would show it.
        if (/^find -[LHP] /.test(command)) expect(seen).not.toContain("secrets-key");
      }
    });
  }

  it("cannot reach the data directory, the app checkout or the host by absolute path", async () => {
    const command = [
      `cat ${path.join(dataDir, "auth-secret")}`,
      `ls ${dataDir}`,
      `cat ${path.join(APP_CHECKOUT, "package.json")}`,
      "ls /work /root /home /etc",
      "cat /etc/passwd /etc/hostname",
    ].join("; ");
    const result = await execute(tool(), { command }, asApproved());
    const seen = everything(result);
    expect(seen).not.toContain(AUTH_SECRET);
    expect(seen).not.toContain('"name"');
    expect(seen).toMatch(/No such file or directory/);
    expect(seen).not.toMatch(/root:x:0:0/);
  });

  it("finds no repository above the workspace: git log without a .git reads nothing", async () => {
    const result = await execute(tool(), { command: "git log --oneline" }, asRead());
    expect(result.exitCode).toBe(128);
    expect(result.stderr).toMatch(/not a git repository/);
    expect(everything(result)).not.toContain(CHECKOUT_SECRET);
  });

  it("confines a textconv driver from .git/config: it cannot write, nor read outside the workspace", async () => {
    const repository = path.join(root, "conv");
    await mkdir(repository);
    const shell = createRunShellTool({ root: repository, timeoutMs: 5_000 });
    await execute(
      shell,
      { command: "git init -q . && echo one > a.txt && git add a.txt && git commit -qm one && echo two >> a.txt" },
      asApproved(),
    );
    const outside = path.join(base, "textconv-ran");
    await writeFile(
      path.join(repository, ".git", "config"),
      `[diff "evil"]\n\ttextconv = "sh -c 'touch ${outside}; touch /workspace/textconv-ran; cat ${path.join(dataDir, "auth-secret")}; cat \\"$1\\"' -"\n`,
      { flag: "a" },
    );
    await writeFile(path.join(repository, ".gitattributes"), "*.txt diff=evil\n");
    expect(await classify(shell, { command: "git log -p" })).not.toBe("READ");
    expect(await classify(shell, { command: "git diff --no-ext-diff" })).not.toBe("READ");
    for (const command of ["git log -p", "git diff --no-ext-diff", "git diff"]) {
      const result = await execute(shell, { command }, asRead());
      expect(everything(result)).not.toContain(AUTH_SECRET);
    }
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(path.join(repository, "textconv-ran"))).toBe(false);
    // With both switches git runs nothing from the config: a plain read.
    expect(await classify(shell, { command: "git diff --no-ext-diff --no-textconv" })).toBe("READ");
    const plain = await execute(shell, { command: "git diff --no-ext-diff --no-textconv" }, asRead());
    expect(plain.exitCode).toBe(0);
    expect(plain.stdout).toContain("+two");
  });

  it("runs plain git diff under the pinned configuration", async () => {
    const repository = path.join(root, "plain");
    await mkdir(repository);
    const shell = createRunShellTool({ root: repository, timeoutMs: 5_000 });
    await execute(
      shell,
      { command: "git init -q . && echo one > a && git add a && git commit -qm one && echo two >> a" },
      asApproved(),
    );
    const result = await execute(shell, { command: "git diff" }, asApproved());
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("+two");
  });

  it("has no network: a connection to a server on the host fails", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.end("hello from the host\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await execute(
        tool(),
        { command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected && cat <&3'` },
        asApproved(),
      );
      expect(result.stdout).not.toContain("connected");
      expect(result.exitCode).not.toBe(0);
      expect(connections).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("reaches a server on the host only when policy granted the call network", async () => {
    const requests: string[] = [];
    const server = http.createServer((request, response) => {
      requests.push(request.url ?? "");
      response.end("hello over http\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    const command = `curl -sS --max-time 5 http://127.0.0.1:${port}/fetched`;
    try {
      const denied = await execute(tool(), { command }, asRead());
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stdout).not.toContain("hello over http");
      const deniedApproved = await execute(tool(), { command }, asApproved());
      expect(deniedApproved.exitCode).not.toBe(0);
      expect(requests).toEqual([]);

      const granted = await execute(tool(), { command }, testToolContext({ network: true }));
      expect(granted.stderr).toBe("");
      expect(granted.stdout).toBe("hello over http\n");
      expect(requests).toEqual(["/fetched"]);
      // bash's /dev/tcp as well, and the granted call still has a read-only workspace.
      const raw = await execute(
        tool(),
        {
          command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET /raw HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3'; touch written.txt`,
        },
        testToolContext({ network: true }),
      );
      expect(raw.stdout).toContain("hello over http");
      expect(requests).toEqual(["/fetched", "/raw"]);
      expect(existsSync(path.join(root, "written.txt"))).toBe(false);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("sees name resolution and CA certificates only with network", async () => {
    const command = "cat /etc/resolv.conf > /dev/null && ls /etc/ssl/certs | head -1 && echo visible";
    const without = await execute(tool(), { command });
    expect(without.stdout).not.toContain("visible");
    const granted = await execute(tool(), { command }, testToolContext({ network: true }));
    expect(granted.stdout).toContain("visible");
    // Still nothing else of the host's /etc.
    const passwd = await execute(tool(), { command: "cat /etc/passwd" }, testToolContext({ network: true }));
    expect(passwd.exitCode).not.toBe(0);
  });

  it("says in the preview whether the call will have network", async () => {
    const command = "curl -sS http://127.0.0.1:1/";
    const none = await preview(tool(), { command });
    expect(none.detail).toContain("network: no network");
    expect(JSON.parse((none.detail as string).split("\n")[0]?.replace(/^argv: /, "") ?? "[]")).not.toContain(
      "--share-net",
    );
    const granted = await preview(tool(), { command }, testToolContext({ network: true }));
    expect(granted.detail).toContain("network: allowed by rule");
    expect(JSON.parse((granted.detail as string).split("\n")[0]?.replace(/^argv: /, "") ?? "[]")).toEqual(
      expect.arrayContaining(["--unshare-all", "--share-net", "/etc/resolv.conf"]),
    );
  });

  it("sees only its own processes", async () => {
    const result = await execute(tool(), { command: "ls /proc | grep -c '^[0-9]'" });
    // bwrap's init, the prologue shell's exec, ls and grep: a handful, not the host's.
    expect(Number(result.stdout.trim())).toBeLessThan(8);
  });

  it("applies resource limits the command cannot raise", async () => {
    const limited = tool({
      limits: { memoryBytes: 512 * 1024 ** 2, processes: 64, fileSizeBytes: 1024 ** 2, cpuSeconds: 5, openFiles: 64 },
    });
    const shown = await execute(limited, {
      command: "ulimit -v; ulimit -f; ulimit -t; ulimit -n; ulimit -v unlimited",
    });
    expect(shown.stdout.split("\n").slice(0, 4)).toEqual(["524288", "2048", "5", "64"]);
    expect(shown.stderr).toMatch(/Operation not permitted/);
    const big = await execute(limited, { command: "head -c 2000000 /dev/zero > big; wc -c < big" }, asApproved());
    expect(Number(big.stdout.trim())).toBeLessThanOrEqual(1024 ** 2);
  });

  it("leaves nothing running after the call: a background job dies with it", async () => {
    const result = await execute(tool(), { command: "(sleep 1; touch late) & echo started" }, asApproved());
    expect(result.stdout).toBe("started\n");
    await sleep(2_000);
    expect(existsSync(path.join(root, "late"))).toBe(false);
  });

  it("is unavailable without a sandbox, fails closed, and runs unsandboxed only when an admin allowed it", async () => {
    const missing = "/nonexistent/bwrap";
    const status = await probeSandbox(missing);
    expect(status).toMatchObject({ available: false });
    const without = tool({ bwrapPath: missing, sandbox: () => probeSandbox(missing) });
    const reason = await without.unavailable?.();
    expect(reason).toMatch(/run_shell is disabled: no OS sandbox .*bubblewrap is not installed/);
    await expect(execute(without, { command: "echo hi" })).rejects.toThrow(/run_shell is disabled/);
    const allowed = tool({
      bwrapPath: missing,
      sandbox: () => probeSandbox(missing),
      unsandboxedAllowed: async () => true,
    });
    expect(await allowed.unavailable?.()).toBeNull();
    const result = await execute(allowed, { command: "pwd" });
    expect(result.stdout.trim()).toBe(root);
    expect(await probeSandbox()).toEqual({ available: true });
  });
});
