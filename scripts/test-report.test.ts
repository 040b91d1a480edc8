/**
 * `npm test` cannot go green by accident: the project's own Vitest and Playwright configs
 * refuse a .only, a skip without a reason in test-skips.txt is a failure, and a runner
 * that cannot start still ends the run with its summary line and a non-zero exit. The
 * runners are run for real on small fixture suites (under test-results/, which git ignores).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countPlaywright, countVitest, parseSkipList, summaryLine } from "./test-report";

const root = path.resolve(import.meta.dirname, "..");
const fixtures = path.join(root, "test-results", `runner-fixtures-${randomBytes(4).toString("hex")}`);

function exec(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function write(relative: string, text: string): string {
  const file = path.join(fixtures, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Vitest with the project's config, on one fixture folder, without the database's global setup. */
async function runVitest(folder: string): Promise<{ code: number | null; report: unknown }> {
  const config = write(
    `${folder}/vitest.config.ts`,
    `import base from ${JSON.stringify(path.join(root, "vitest.config.ts"))};
export default { ...base, test: { ...base.test, include: ["*.spec.ts"], globalSetup: [] } };
`,
  );
  const reportFile = path.join(fixtures, folder, "report.json");
  const { code } = await exec(path.join(root, "node_modules", ".bin", "vitest"), [
    "run",
    "--config",
    config,
    "--root",
    path.join(fixtures, folder),
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
  ]);
  return { code, report: JSON.parse(readFileSync(reportFile, "utf8")) };
}

/** Playwright with the project's config, on one fixture folder, without the app's web server. */
async function runPlaywright(folder: string): Promise<{ code: number | null; report: unknown }> {
  const config = write(
    `${folder}/playwright.config.ts`,
    `import base from ${JSON.stringify(path.join(root, "playwright.config.ts"))};
export default { ...base, testDir: ".", testMatch: "*.pw.ts", webServer: undefined, outputDir: "out" };
`,
  );
  const reportFile = path.join(fixtures, folder, "report.json");
  const { code } = await exec(
    path.join(root, "node_modules", ".bin", "playwright"),
    ["test", "--config", config, "--reporter=json"],
    { PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile },
  );
  return { code, report: JSON.parse(readFileSync(reportFile, "utf8")) };
}

beforeAll(() => {
  write(
    "vitest-only/focused.spec.ts",
    `import { expect, it } from "vitest";
it.only("the one someone was debugging", () => expect(1).toBe(1));
it("the rest of the suite", () => expect(1).toBe(2));
`,
  );
  write(
    "vitest-skips/skips.spec.ts",
    `import { describe, expect, it } from "vitest";
describe("a service", () => {
  it("works", () => expect(1).toBe(1));
  it.skip("needs a licence", () => expect(1).toBe(1));
  it.skip("was flaky once", () => expect(1).toBe(1));
  it.todo("some day");
});
`,
  );
  write(
    "playwright-only/focused.pw.ts",
    `import { expect, test } from "@playwright/test";
test.only("the one someone was debugging", () => expect(1).toBe(1));
test("the rest of the suite", () => expect(1).toBe(2));
`,
  );
  write(
    "playwright-skips/skips.pw.ts",
    `import { expect, test } from "@playwright/test";
test.describe("a page", () => {
  test("works", () => expect(1).toBe(1));
  test.skip("needs a licence", () => expect(1).toBe(1));
  test.skip("was flaky once", () => expect(1).toBe(1));
});
`,
  );
});

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

describe("test-skips.txt", () => {
  it("allows a skip only with a reason", () => {
    const { allowed, problems } = parseSkipList(
      [
        "# comment",
        "",
        "server/a.test.ts > a > b | needs a licence | really",
        "server/c.test.ts > no reason",
        "server/d.test.ts > d | ",
      ].join("\n"),
    );
    expect([...allowed]).toEqual([["server/a.test.ts > a > b | needs a licence", "really"]]);
    expect(problems).toEqual([
      "test-skips.txt line 4 gives no reason: server/c.test.ts > no reason",
      "test-skips.txt line 5 gives no reason: server/d.test.ts > d |",
    ]);
  });
});

describe("Vitest with the project's config", () => {
  it("fails a run that has a .only", async () => {
    const { code, report } = await runVitest("vitest-only");
    expect(code).not.toBe(0);
    const counts = countVitest(report, fixtures, new Map());
    expect(counts.failed).toBeGreaterThan(0);
  });

  it("fails a run with a skip or todo that test-skips.txt does not give a reason for", async () => {
    const { code, report } = await runVitest("vitest-skips");
    // Vitest itself is content: this is what npm test used to count as green.
    expect(code).toBe(0);
    const key = "vitest-skips/skips.spec.ts > a service > needs a licence";
    const unlisted = countVitest(report, fixtures, new Map());
    expect(unlisted).toMatchObject({ passed: 1, skipped: 3, failed: 3 });
    expect(unlisted.problems).toContain(`skipped without a reason in test-skips.txt: ${key}`);
    const listed = countVitest(
      report,
      fixtures,
      new Map([
        [key, "needs a licence this machine has not got"],
        ["vitest-skips/skips.spec.ts > a service > was flaky once", "tracked in #12"],
        ["vitest-skips/skips.spec.ts > a service > some day", "not written yet"],
      ]),
    );
    expect(listed).toMatchObject({ passed: 1, skipped: 3, failed: 0, problems: [] });
  });
});

describe("Playwright with the project's config", () => {
  it("fails a run that has a test.only", async () => {
    const { code, report } = await runPlaywright("playwright-only");
    expect(code).not.toBe(0);
    const counts = countPlaywright(report, "e2e", new Map());
    expect(counts.failed).toBeGreaterThan(0);
    expect(counts.passed).toBe(0);
  });

  it("fails a run with a skip that test-skips.txt does not give a reason for", async () => {
    const { code, report } = await runPlaywright("playwright-skips");
    expect(code).toBe(0);
    const unlisted = countPlaywright(report, "e2e", new Map());
    expect(unlisted).toMatchObject({ passed: 1, skipped: 2, failed: 2 });
    expect(unlisted.problems).toContain(
      "skipped without a reason in test-skips.txt: e2e/skips.pw.ts > a page > needs a licence",
    );
    const listed = countPlaywright(
      report,
      "e2e",
      new Map([
        ["e2e/skips.pw.ts > a page > needs a licence", "needs a licence"],
        ["e2e/skips.pw.ts > a page > was flaky once", "tracked in #12"],
      ]),
    );
    expect(listed).toMatchObject({ passed: 1, skipped: 2, failed: 0, problems: [] });
  });
});

describe("npm test", () => {
  it("ends with its summary line and a non-zero exit when the runners' binaries are missing", async () => {
    const { code, output } = await exec(
      process.execPath,
      ["--import", "tsx", path.join(root, "scripts", "test.ts"), "unit", "e2e"],
      { AIRLOCK_TEST_BIN_DIR: path.join(fixtures, "no-such-bin") },
    );
    expect(code).toBe(1);
    expect(output).toContain("vitest could not be started");
    expect(output.trim().split("\n").at(-1)).toBe("0 passed, 2 failed");
  });

  it("counts failures in its summary line", () => {
    expect(summaryLine({ passed: 3, failed: 1, skipped: 0, problems: [] })).toBe("3 passed, 1 failed");
    expect(summaryLine({ passed: 3, failed: 0, skipped: 2, problems: [] })).toBe("3 passed, 0 failed, 2 skipped");
  });
});
