/**
 * `npm test`: everything, in order — lint (Biome, module direction, types), unit and
 * integration tests (Vitest on an embedded PostgreSQL), then browser tests (Playwright
 * on Chromium against the built app). Fetches what it needs: Chromium through apt on
 * Debian when it is missing, Playwright's own browser elsewhere.
 * Ends with one line: "<passed> passed, <failed> failed".
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const reports = path.join(root, "test-results", "reports");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

function say(message: string) {
  process.stdout.write(`\n[test] ${message}\n`);
}

function run(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...extraEnv } });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

function commandExists(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

async function ensureBrowser(): Promise<Record<string, string>> {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return {};
  if (existsSync("/usr/bin/chromium")) return {};
  const isRoot = process.getuid?.() === 0;
  if (existsSync("/etc/debian_version") && commandExists("apt-get") && (isRoot || commandExists("sudo"))) {
    say("Chromium is missing: installing Debian's chromium with apt-get");
    const sudo = isRoot ? [] : ["sudo"];
    const update = await run(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(isRoot ? [] : ["apt-get"]), "update", "-qq"]);
    const install =
      update === 0
        ? await run(sudo[0] ?? "apt-get", [
            ...sudo.slice(1),
            ...(isRoot ? [] : ["apt-get"]),
            "install",
            "-y",
            "-qq",
            "chromium",
          ])
        : update;
    if (install === 0 && existsSync("/usr/bin/chromium")) return {};
    say("apt-get could not install chromium; trying Playwright's own browser");
  }
  say("Installing Playwright's Chromium");
  const status = await run(bin("playwright"), ["install", "chromium"]);
  if (status !== 0) throw new Error("No browser for the end-to-end tests: install chromium or set CHROMIUM_PATH.");
  return {};
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

function readVitest(file: string): Counts {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(file, "utf8"));
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + (report.success === false && !report.numFailedTests ? 1 : 0),
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

function readPlaywright(file: string): Counts {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const stats = JSON.parse(readFileSync(file, "utf8")).stats ?? {};
  return {
    passed: stats.expected ?? 0,
    failed: (stats.unexpected ?? 0) + (stats.flaky ?? 0),
    skipped: stats.skipped ?? 0,
  };
}

/** A runner that exits non-zero failed, even if its report shows no failed test (e.g. its server never started). */
function atLeastOneFailureIf(failedToRun: boolean, counts: Counts): Counts {
  return failedToRun && counts.failed === 0 ? { ...counts, failed: 1 } : counts;
}

async function main() {
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const started = Date.now();
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const add = (counts: Counts) => {
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
  };

  say("Lint: Biome, module direction (dependency-cruiser), TypeScript");
  const lint = await run("npm", ["run", "--silent", "lint"]);
  if (lint !== 0) {
    say("Lint failed");
    total.failed += 1;
  }

  say("Unit and integration tests (Vitest, embedded PostgreSQL)");
  const vitestReport = path.join(reports, "vitest.json");
  const vitest = await run(bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${vitestReport}`,
  ]);
  add(atLeastOneFailureIf(vitest !== 0, readVitest(vitestReport)));

  say("Browser tests (Playwright, Chromium, the built app on the embedded PostgreSQL)");
  const browserEnv = await ensureBrowser();
  const playwrightReport = path.join(reports, "playwright.json");
  const playwright = await run(bin("playwright"), ["test", "--reporter=list,json"], {
    ...browserEnv,
    PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport,
    NEXT_TELEMETRY_DISABLED: "1",
  });
  add(atLeastOneFailureIf(playwright !== 0, readPlaywright(playwrightReport)));

  const seconds = Math.round((Date.now() - started) / 1000);
  say(`Finished in ${seconds} s`);
  process.stdout.write(
    `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}\n`,
  );
  process.exit(total.failed > 0 || lint !== 0 ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.stdout.write("0 passed, 1 failed\n");
  process.exit(1);
});
