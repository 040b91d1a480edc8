/**
 * `npm test`: everything, in order — lint (Biome, module direction, types), unit and
 * integration tests (Vitest on an embedded PostgreSQL), then browser tests (Playwright
 * on Chromium against the built app). Fetches what it needs: bubblewrap (the shell
 * tool's sandbox; its tests run the real one) and Chromium through apt on Debian when
 * they are missing, Playwright's own browser elsewhere.
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

let aptUpdated = false;

/** Installs a Debian package with apt-get (through sudo when not root); false where that is not possible. */
async function aptInstall(packageName: string): Promise<boolean> {
  const isRoot = process.getuid?.() === 0;
  if (!existsSync("/etc/debian_version") || !commandExists("apt-get") || !(isRoot || commandExists("sudo"))) {
    return false;
  }
  const apt = (args: string[]) => (isRoot ? run("apt-get", args) : run("sudo", ["apt-get", ...args]));
  if (!aptUpdated) {
    if ((await apt(["update", "-qq"])) !== 0) return false;
    aptUpdated = true;
  }
  return (await apt(["install", "-y", "-qq", packageName])) === 0;
}

/** The shell tool's tests run the real sandbox: bubblewrap must be there before Vitest starts. */
async function ensureBubblewrap(): Promise<void> {
  if (existsSync("/usr/bin/bwrap")) return;
  say("bubblewrap is missing: installing Debian's bubblewrap with apt-get");
  if ((await aptInstall("bubblewrap")) && existsSync("/usr/bin/bwrap")) return;
  say("Could not install bubblewrap: the shell sandbox tests will fail (install the bubblewrap package).");
}

async function ensureBrowser(): Promise<Record<string, string>> {
  if (process.env.CHROMIUM_PATH && existsSync(process.env.CHROMIUM_PATH)) return {};
  if (existsSync("/usr/bin/chromium")) return {};
  if (existsSync("/etc/debian_version")) {
    say("Chromium is missing: installing Debian's chromium with apt-get");
    if ((await aptInstall("chromium")) && existsSync("/usr/bin/chromium")) return {};
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

  await ensureBubblewrap();
  say("Unit and integration tests (Vitest, embedded PostgreSQL, the bubblewrap sandbox)");
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
