/**
 * `npm test`: everything, in order — lint (Biome, module direction, types), unit and
 * integration tests (Vitest on an embedded PostgreSQL), then browser tests (Playwright
 * on Chromium against the built app). Fetches what it needs: bubblewrap (the shell
 * tool's sandbox; its tests run the real one) and Chromium through apt on Debian when
 * they are missing, Playwright's own browser elsewhere.
 * Ends with one line, "<passed> passed, <failed> failed", whatever happened: a runner that
 * cannot start, a .only (forbidden in both configs), or a skip without a reason in
 * test-skips.txt is a failure (see test-report.ts). `npm test -- unit` runs one step.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import {
  atLeastOneFailureIf,
  type Counts,
  readPlaywright,
  readSkipList,
  readVitest,
  runCommand,
  summaryLine,
} from "./test-report";

const root = path.resolve(import.meta.dirname, "..");
const reports = path.join(root, "test-results", "reports");
// Where the runners' binaries are; scripts.test.ts points it at an empty folder to see a missing runner counted.
const binDir = process.env.AIRLOCK_TEST_BIN_DIR ?? path.join(root, "node_modules", ".bin");
const bin = (name: string) => path.join(binDir, name);

/** `npm test -- unit e2e` runs only those steps; no argument runs all three. */
const STEPS = ["lint", "unit", "e2e"] as const;
const requested = process.argv.slice(2).filter((arg): arg is (typeof STEPS)[number] => STEPS.includes(arg as never));
const steps = new Set(requested.length > 0 ? requested : STEPS);

function say(message: string) {
  process.stdout.write(`\n[test] ${message}\n`);
}

function run(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<number> {
  return runCommand(command, args, { cwd: root, env: extraEnv, onError: say });
}

/** Runs a command with its output held back, to be printed in one piece: for a step that runs beside another. */
function runHeld(command: string, args: string[]): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", (error) =>
      resolve({ status: 127, output: `${command} could not be started: ${error.message}\n` }),
    );
    child.on("close", (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), output }));
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

/** /api/metrics is checked with Prometheus's own linter: promtool, from Debian's prometheus package. */
async function ensurePromtool(): Promise<void> {
  if (existsSync("/usr/bin/promtool")) return;
  say("promtool is missing: installing Debian's prometheus package (for promtool) with apt-get");
  if ((await aptInstall("prometheus")) && existsSync("/usr/bin/promtool")) return;
  say("Could not install promtool (no apt here?): the metrics format test is skipped and says so.");
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

/** Whatever happens, the run ends with the one line, counted from what did run. */
const total: Counts = { passed: 0, failed: 0, skipped: 0, problems: [] };

function add(counts: Counts) {
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  total.problems.push(...counts.problems);
}

function finish(started: number): never {
  const seconds = Math.round((Date.now() - started) / 1000);
  say(`Finished in ${seconds} s`);
  for (const problem of total.problems) process.stdout.write(`[test] ${problem}\n`);
  process.stdout.write(`${summaryLine(total)}\n`);
  process.exit(total.failed > 0 ? 1 : 0);
}

async function main(started: number) {
  rmSync(reports, { recursive: true, force: true });
  mkdirSync(reports, { recursive: true });
  const skipList = readSkipList(path.join(root, "test-skips.txt"));
  add({ passed: 0, failed: skipList.problems.length, skipped: 0, problems: skipList.problems });

  // Lint reads only the sources: it runs beside the Vitest step instead of before it (most
  // of Vitest's time is spent waiting on PostgreSQL and child processes), and its output is
  // printed in one piece when it is done.
  const lint = steps.has("lint") ? runHeld("npm", ["run", "--silent", "lint"]) : undefined;
  const reportLint = async () => {
    if (!lint) return;
    const { status, output } = await lint;
    say("Lint: Biome, module direction (dependency-cruiser), TypeScript");
    process.stdout.write(output);
    if (status !== 0) add({ passed: 0, failed: 1, skipped: 0, problems: ["lint failed"] });
  };

  if (steps.has("unit")) {
    await ensureBubblewrap();
    await ensurePromtool();
    say("Unit and integration tests (Vitest, embedded PostgreSQL, the bubblewrap sandbox)");
    const vitestReport = path.join(reports, "vitest.json");
    const vitest = await run(bin("vitest"), [
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${vitestReport}`,
    ]);
    add(atLeastOneFailureIf(vitest !== 0, readVitest(vitestReport, root, skipList.allowed)));
  }
  await reportLint();

  if (steps.has("e2e")) {
    say("Browser tests (Playwright, Chromium, the built app on the embedded PostgreSQL)");
    const browserEnv = await ensureBrowser();
    const playwrightReport = path.join(reports, "playwright.json");
    const playwright = await run(bin("playwright"), ["test", "--reporter=list,json"], {
      ...browserEnv,
      PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport,
      NEXT_TELEMETRY_DISABLED: "1",
    });
    add(atLeastOneFailureIf(playwright !== 0, readPlaywright(playwrightReport, "e2e", skipList.allowed)));
  }
  finish(started);
}

const started = Date.now();
main(started).catch((error) => {
  add({ passed: 0, failed: 1, skipped: 0, problems: [error instanceof Error ? error.message : String(error)] });
  finish(started);
});
