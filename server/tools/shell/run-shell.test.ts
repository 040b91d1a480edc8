import { mkdtemp, readFile, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classify, execute, preview, testToolContext } from "../testing/tool-harness";
import { seedWorkspace } from "../workspace/seed-workspace";
import { createRunShellTool } from "./run-shell";

let base: string;
let root: string;
const SERVER_SECRET = "server-secret-value-7d1f";

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "airlock-shell-"));
  root = path.join(base, "workspace");
  await seedWorkspace(root);
  // The server's own environment holds secrets the command must never see.
  process.env.AIRLOCK_TEST_SECRET = SERVER_SECRET;
});

afterAll(async () => {
  delete process.env.AIRLOCK_TEST_SECRET;
  await rm(base, { recursive: true, force: true });
});

const tool = (options: Partial<Parameters<typeof createRunShellTool>[0]> = {}) =>
  createRunShellTool({ root, timeoutMs: 5_000, ...options });

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

  it("previews the exact argv and working directory it then uses", async () => {
    const command = `printf '%s|' "$0" "$PWD" > where.txt; rm old-notes.md`;
    expect(await classify(tool(), { command })).toBe("DESTRUCTIVE");
    const shown = await preview(tool(), { command });
    const argv = JSON.parse((shown.detail as string).split("\n")[0]?.replace(/^argv: /, "") ?? "[]");
    expect(argv).toEqual(["/bin/sh", "-c", command]);
    const cwd = await realpath(root);
    expect(shown.detail).toContain(`working directory: ${cwd}`);
    expect(shown.detail).toContain('2. ["rm","old-notes.md"]');
    expect(shown.detail).toContain("rm is not on the read-only allowlist");
    await execute(tool(), { command });
    expect(await readFile(path.join(root, "where.txt"), "utf8")).toBe(`/bin/sh|${cwd}|`);
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
    await execute(tool(), { command: "mkdir repo && cd repo && git init -q . && echo x > f" });
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
