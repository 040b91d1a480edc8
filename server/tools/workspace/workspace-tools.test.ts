import { mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyPatch } from "diff";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AnyTool } from "../define-tool";
import { classify, execute, findTool, parseArguments, preview } from "../testing/tool-harness";
import { seedWorkspace } from "./seed-workspace";
import { compileSensitivePatterns, DEFAULT_SENSITIVE_PATTERNS } from "./sensitive-patterns";
import { createWorkspaceTools } from "./workspace-tools";

let base: string;
let root: string;
let outside: string;
let tools: AnyTool[];
const tool = (name: string) => findTool(tools, name);

beforeEach(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "airlock-workspace-"));
  root = path.join(base, "workspace");
  outside = path.join(base, "outside");
  await mkdir(outside);
  await writeFile(path.join(outside, "secret.txt"), "outside secret\n");
  await seedWorkspace(root);
  tools = createWorkspaceTools({ root, maxReadBytes: 1024 });
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("path arguments that try to escape the workspace", () => {
  const escapes: [string, string][] = [
    ["..", "`..`"],
    ["../outside/secret.txt", "`..`"],
    ["src/../../outside/secret.txt", "`..`"],
    ["src/..", "`..`"],
    ["/etc/passwd", "Absolute"],
    ["//etc/passwd", "Absolute"],
    ["C:/Windows/win.ini", "Absolute"],
    ["src\\..\\..\\etc", "not `"],
    ["README.md\0.png", "NUL"],
    ["evil\u202Etxt.md", "invisible"],
    ["READ\u200BME.md", "invisible"],
    ["line\nbreak", "control"],
    ["tab\there", "control"],
    ["non\u00A0breaking", "unusual space"],
    ["src\u2215index.ts", "look like a slash"],
    ["\uFF0E\uFF0E/outside", "look like a slash or a dot"],
    ["cafe\u0301.md", "normal form"],
    ["private\uE000use", "invisible"],
    ["a/ /b", "blank"],
    [`${"a".repeat(256)}.md`, "longer than 255 bytes"],
    ["x/".repeat(600), "longer than 1024"],
  ];

  it.each(escapes)("refuses %j as an argument error", (badPath, reason) => {
    for (const name of ["read_file", "list_files", "write_file", "delete_file"]) {
      const args = name === "write_file" ? { path: badPath, content: "x" } : { path: badPath };
      const parsed = tool(name).input.safeParse(args);
      expect(parsed.success, `${name} accepted ${JSON.stringify(badPath)}`).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain(reason);
    }
    const move = tool("move_file").input.safeParse({ from: "README.md", to: badPath });
    expect(move.success).toBe(false);
  });

  it("accepts ordinary relative paths, including `.` and redundant slashes", async () => {
    for (const good of [".", "./README.md", "src//index.ts", "src/", "dir with spaces/file.md", "naïve.md"]) {
      expect(tool("read_file").input.safeParse({ path: good }).success, good).toBe(true);
    }
    expect((await execute(tool("read_file"), { path: "./src//format.ts" })).path).toBe("src/format.ts");
  });

  it("puts every path field of every tool in one canonical spelling, the root as `.`", () => {
    const spellings: [string, string][] = [
      ["./a", "a"],
      ["a//b", "a/b"],
      ["a/./b", "a/b"],
      ["a/b/", "a/b"],
      [".//a/.//b/.", "a/b"],
      ["naïve.md", "naïve.md"],
      ["a/b.", "a/b."], // a different name on Linux, not a spelling of a/b
      ["", "."],
      ["./", "."],
    ];
    const fields: [string, string, Record<string, unknown>][] = [
      ["read_file", "path", {}],
      ["list_files", "path", {}],
      ["search_files", "path", { query: "x" }],
      ["write_file", "path", { content: "x" }],
      ["edit_file", "path", { oldText: "a", newText: "b" }],
      ["move_file", "from", { to: "b" }],
      ["move_file", "to", { from: "a" }],
      ["delete_file", "path", {}],
    ];
    for (const [name, field, rest] of fields) {
      for (const [spelling, canonical] of spellings) {
        const parsed = tool(name).input.parse({ ...rest, [field]: spelling });
        expect(parsed[field], `${name}.${field} ${JSON.stringify(spelling)}`).toBe(canonical);
      }
    }
    expect(tool("list_files").input.parse({}).path).toBe(".");
  });
});

describe("symlinks are checked at the moment of use", () => {
  it("refuses to read, list or write through links that point outside", async () => {
    await symlink(path.join(outside, "secret.txt"), path.join(root, "innocent.txt"));
    await symlink(outside, path.join(root, "linked-dir"));
    await expect(execute(tool("read_file"), { path: "innocent.txt" })).rejects.toThrow(/outside the workspace/);
    await expect(execute(tool("read_file"), { path: "linked-dir/secret.txt" })).rejects.toThrow(/outside/);
    await expect(execute(tool("list_files"), { path: "linked-dir" })).rejects.toThrow(/outside/);
    await expect(execute(tool("write_file"), { path: "innocent.txt", content: "pwned" })).rejects.toThrow(/outside/);
    await expect(execute(tool("write_file"), { path: "linked-dir/new.txt", content: "pwned" })).rejects.toThrow(
      /outside/,
    );
    await expect(execute(tool("write_file"), { path: "linked-dir/deeper/new.txt", content: "x" })).rejects.toThrow(
      /outside/,
    );
    await expect(
      execute(tool("edit_file"), { path: "innocent.txt", oldText: "outside", newText: "inside" }),
    ).rejects.toThrow(/outside/);
    await expect(execute(tool("move_file"), { from: "README.md", to: "linked-dir/README.md" })).rejects.toThrow(
      /outside/,
    );
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("outside secret\n");
    await expect(readFile(path.join(outside, "new.txt"))).rejects.toThrow();
    await expect(readFile(path.join(outside, "README.md"))).rejects.toThrow();
  });

  it("refuses a symlink loop with a clear message", async () => {
    await symlink("loop-b", path.join(root, "loop-a"));
    await symlink("loop-a", path.join(root, "loop-b"));
    await expect(execute(tool("read_file"), { path: "loop-a" })).rejects.toThrow(/symlink loop/);
  });

  it("follows links that stay inside", async () => {
    await symlink("README.md", path.join(root, "README-link.md"));
    await symlink("src", path.join(root, "source"));
    expect((await execute(tool("read_file"), { path: "README-link.md" })).content).toContain("Invoice Reminder");
    expect((await execute(tool("read_file"), { path: "source/format.ts" })).content).toContain("formatAmount");
  });

  it("deletes a link that points outside without touching its target", async () => {
    await symlink(path.join(outside, "secret.txt"), path.join(root, "link.txt"));
    await symlink(outside, path.join(root, "link-dir"));
    expect(await execute(tool("delete_file"), { path: "link.txt" })).toMatchObject({ deleted: true, type: "symlink" });
    expect(await execute(tool("delete_file"), { path: "link-dir" })).toMatchObject({ deleted: true, type: "symlink" });
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("outside secret\n");
  });

  it("refuses a write whose target was swapped for an outside link after the preview", async () => {
    const args = { path: "config.json", content: '{"overdueAfterDays": 30}\n' };
    const shown = await preview(tool("write_file"), args);
    expect(shown.format).toBe("diff");
    // Between the reviewer's approval and the execution, the file becomes a link outside.
    await unlink(path.join(root, "config.json"));
    await symlink(path.join(outside, "secret.txt"), path.join(root, "config.json"));
    await expect(execute(tool("write_file"), args)).rejects.toThrow(/outside the workspace/);
    expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("outside secret\n");
  });

  it("refuses a read and a delete whose parent directory was swapped for an outside link", async () => {
    await preview(tool("delete_file"), { path: "src/format.ts" });
    await rm(path.join(root, "src"), { recursive: true });
    await mkdir(path.join(outside, "src"));
    await writeFile(path.join(outside, "src", "format.ts"), "outside file\n");
    await symlink(path.join(outside, "src"), path.join(root, "src"));
    await expect(execute(tool("read_file"), { path: "src/format.ts" })).rejects.toThrow(/outside/);
    await expect(execute(tool("delete_file"), { path: "src/format.ts" })).rejects.toThrow(/outside/);
    expect(await readFile(path.join(outside, "src", "format.ts"), "utf8")).toBe("outside file\n");
  });
});

describe("sensitive files", () => {
  const cases: [string, "READ" | "SENSITIVE_READ"][] = [
    ["README.md", "READ"],
    ["config.json", "READ"],
    [".env", "SENSITIVE_READ"],
    [".env.production", "SENSITIVE_READ"],
    ["deploy/.ENV", "SENSITIVE_READ"],
    ["secrets/api.pem", "SENSITIVE_READ"],
    ["certs/server.pem", "SENSITIVE_READ"],
    ["home/.ssh/id_ed25519", "SENSITIVE_READ"],
    ["secrets/nested/deeper/token.txt", "SENSITIVE_READ"],
    ["src/secrets.ts", "READ"],
    ["environment.md", "READ"],
  ];

  it.each(cases)("classifies read_file %j as %s", async (file, expected) => {
    expect(await classify(tool("read_file"), { path: file })).toBe(expected);
  });

  it("matches patterns at any depth, ancestors included, and anchors a leading slash", () => {
    const matches = compileSensitivePatterns([...DEFAULT_SENSITIVE_PATTERNS, "/private", "keys/*.json"]);
    expect(matches("private/notes.md")).toBe(true);
    expect(matches("docs/private/notes.md")).toBe(false);
    expect(matches("a/keys/prod.json")).toBe(true);
    expect(matches("a/keys/sub/prod.json")).toBe(false);
    expect(matches("id_rsa.pub")).toBe(true);
  });

  it("refuses to read a sensitive file through a harmless-looking link", async () => {
    await symlink(".env", path.join(root, "notes.txt"));
    expect(await classify(tool("read_file"), { path: "notes.txt" })).toBe("READ");
    await expect(execute(tool("read_file"), { path: "notes.txt" })).rejects.toThrow(/sensitive: read it by its own/);
  });

  it("keeps sensitive files out of searches and out of write previews", async () => {
    const found = await execute(tool("search_files"), { query: "fake" });
    expect(found.matches).toEqual([]);
    expect(found.skippedSensitive).toBe(2);
    const shown = await preview(tool("write_file"), { path: ".env", content: "SMTP_PASSWORD=new-value\n" });
    expect(shown.detail).not.toContain("fake-smtp-password-1234");
    expect(shown.detail).not.toContain("new-value");
    expect(shown.detail).toContain("not shown");
  });
});

describe("reading and searching", () => {
  it("lists the sample project with sizes", async () => {
    const listing = await execute(tool("list_files"), { path: "." });
    const names = listing.entries.map((entry: { path: string }) => entry.path);
    expect(names).toEqual(expect.arrayContaining(["README.md", "config.json", "old-notes.md", "src", "secrets"]));
    const recursive = await execute(tool("list_files"), { path: ".", recursive: true });
    expect(recursive.entries).toContainEqual({ path: "src/index.ts", type: "file", size: expect.any(Number) });
  });

  it("cuts large files at the limit and refuses binary files", async () => {
    await writeFile(path.join(root, "big.txt"), `${"é".repeat(600)}\n`);
    const big = await execute(tool("read_file"), { path: "big.txt" });
    expect(big.truncated).toBe(true);
    expect(big.content).not.toContain("\uFFFD");
    expect(big.content.length).toBe(512);
    await writeFile(path.join(root, "logo.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    await expect(execute(tool("read_file"), { path: "logo.png" })).rejects.toThrow(/binary file/);
    await writeFile(path.join(root, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    await expect(execute(tool("read_file"), { path: "latin1.txt" })).rejects.toThrow(/binary file/);
    await expect(execute(tool("read_file"), { path: "src" })).rejects.toThrow(/not a regular file/);
  });

  it("searches literally, with line numbers", async () => {
    const found = await execute(tool("search_files"), { query: "todo" });
    expect(found.matches.map((match: { path: string }) => match.path).sort()).toEqual([
      "src/index.ts",
      "src/reminders.ts",
    ]);
    expect(found.matches[0].line).toBeGreaterThan(0);
    expect((await execute(tool("search_files"), { query: "(.*)+$" })).matches).toEqual([]);
  });
});

describe("previews match what execution then does", () => {
  it("write_file: applying the previewed diff to the old file gives the written file", async () => {
    const before = await readFile(path.join(root, "config.json"), "utf8");
    const args = { path: "config.json", content: before.replace('"overdueAfterDays": 14', '"overdueAfterDays": 21') };
    const shown = await preview(tool("write_file"), args);
    expect(shown.detail).toContain('-  "overdueAfterDays": 14,');
    expect(shown.detail).toContain('+  "overdueAfterDays": 21,');
    await execute(tool("write_file"), args);
    const after = await readFile(path.join(root, "config.json"), "utf8");
    expect(applyPatch(before, shown.detail as string)).toBe(after);
  });

  it("write_file creates new files and parents, and is safe to repeat", async () => {
    const args = { path: "docs/guide/intro.md", content: "# Intro\n" };
    const shown = await preview(tool("write_file"), args);
    expect(shown.summary).toMatch(/^Create/);
    expect(shown.detail).toContain("--- /dev/null");
    expect((await execute(tool("write_file"), args)).created).toBe(true);
    expect((await execute(tool("write_file"), args)).created).toBe(false);
    expect(await readFile(path.join(root, "docs/guide/intro.md"), "utf8")).toBe("# Intro\n");
  });

  it("edit_file: exact, unique replacement; the diff applies to the result", async () => {
    const before = await readFile(path.join(root, "src/format.ts"), "utf8");
    const args = { path: "src/format.ts", oldText: '"en-IE"', newText: '"de-DE"' };
    const shown = await preview(tool("edit_file"), args);
    expect(await execute(tool("edit_file"), args)).toMatchObject({ replacements: 1 });
    expect(applyPatch(before, shown.detail as string)).toBe(await readFile(path.join(root, "src/format.ts"), "utf8"));
    await expect(
      execute(tool("edit_file"), { path: "src/format.ts", oldText: "export", newText: "export " }),
    ).rejects.toThrow(/occurs 2 times/);
    await expect(
      execute(tool("edit_file"), { path: "src/format.ts", oldText: "not there", newText: "x" }),
    ).rejects.toThrow(/does not occur/);
    await expect(execute(tool("edit_file"), { path: "missing.ts", oldText: "a", newText: "b" })).rejects.toThrow(
      /does not exist/,
    );
  });

  it("delete_file: the preview lists files and sizes; directories need recursive", async () => {
    const shown = await preview(tool("delete_file"), { path: "src", recursive: true });
    expect(shown.summary).toMatch(/^Delete directory src with 3 files/);
    expect(shown.detail).toMatch(/src\/index\.ts/);
    expect(shown.detail).toMatch(/\d+(\.\d)? (B|KiB)\s+src\/format\.ts/);
    await expect(execute(tool("delete_file"), { path: "src" })).rejects.toThrow(/recursive: true/);
    expect(await execute(tool("delete_file"), { path: "src", recursive: true })).toMatchObject({ deleted: true });
    expect(await execute(tool("delete_file"), { path: "src", recursive: true })).toMatchObject({ deleted: false });
    // Only the path itself missing is "already deleted"; a missing directory on the way is an error.
    await expect(execute(tool("delete_file"), { path: "nowhere/file.txt" })).rejects.toThrow(/nowhere does not exist/);
    expect((await preview(tool("delete_file"), { path: "old-notes.md" })).summary).toMatch(
      /^Delete old-notes\.md \(\d+ B\)$/,
    );
    await expect(execute(tool("delete_file"), { path: "." })).rejects.toThrow(/root/);
  });

  it("move_file: the preview lists what moves; existing destinations need overwrite", async () => {
    const shown = await preview(tool("move_file"), { from: "old-notes.md", to: "archive/notes-2024.md" });
    expect(shown.detail).toContain("old-notes.md → archive/notes-2024.md");
    await execute(tool("move_file"), { from: "old-notes.md", to: "archive/notes-2024.md" });
    expect(await readFile(path.join(root, "archive/notes-2024.md"), "utf8")).toContain("obsolete");
    await expect(execute(tool("move_file"), { from: "README.md", to: "config.json" })).rejects.toThrow(/overwrite/);
    await expect(execute(tool("move_file"), { from: "src", to: "src/inner" })).rejects.toThrow(/into itself/);
    const warning = await preview(tool("move_file"), { from: ".env", to: "env.txt" });
    expect(warning.detail).toContain("can be read without approval");
  });
});

describe("sample project", () => {
  it("is seeded once and never overwrites a workspace in use", async () => {
    expect(await readFile(path.join(root, ".env"), "utf8")).toContain("fake");
    await writeFile(path.join(root, "README.md"), "changed\n");
    expect(await seedWorkspace(root)).toEqual([]);
    expect(await readFile(path.join(root, "README.md"), "utf8")).toBe("changed\n");
  });

  it("keeps parsed arguments' defaults", () => {
    expect(parseArguments(tool("list_files"), {})).toEqual({ path: ".", recursive: false });
  });
});
