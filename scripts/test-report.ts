/**
 * What `npm test` counts, from the runners' JSON reports: passed, failed and skipped tests,
 * and the skips nobody gave a reason for. A skipped test passes only when test-skips.txt
 * names it with a reason (one "<file> > <title path> | <reason>" a line); any other skip,
 * and a missing or unreadable report, is a failure. Pure, so scripts.test.ts checks it.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the run failed beyond failed tests: unlisted skips, a missing report, a runner that did not run. */
  problems: string[];
}

/** A test's name as test-skips.txt spells it: its file, then its describe blocks and title. */
export type TestKey = string;

export function testKey(file: string, titles: string[]): TestKey {
  return [file, ...titles].join(" > ");
}

/** test-skips.txt: the skips that are allowed, each with its reason. Lines without a reason are problems. */
export function parseSkipList(text: string): { allowed: Map<TestKey, string>; problems: string[] } {
  const allowed = new Map<TestKey, string>();
  const problems: string[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const separator = line.lastIndexOf(" | ");
    const key = separator < 0 ? line : line.slice(0, separator).trim();
    const reason = separator < 0 ? "" : line.slice(separator + 3).trim();
    if (!reason) problems.push(`test-skips.txt line ${index + 1} gives no reason: ${line}`);
    else allowed.set(key, reason);
  }
  return { allowed, problems };
}

export function readSkipList(file: string): { allowed: Map<TestKey, string>; problems: string[] } {
  return existsSync(file) ? parseSkipList(readFileSync(file, "utf8")) : { allowed: new Map(), problems: [] };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function withSkips(counts: Omit<Counts, "problems">, skipped: TestKey[], allowed: Map<TestKey, string>): Counts {
  const unlisted = skipped.filter((key) => !allowed.has(key));
  return {
    ...counts,
    failed: counts.failed + unlisted.length,
    problems: unlisted.map((key) => `skipped without a reason in test-skips.txt: ${key}`),
  };
}

interface VitestReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  success?: boolean;
  testResults?: {
    name: string;
    assertionResults?: { status: string; title: string; ancestorTitles?: string[] }[];
  }[];
}

const VITEST_SKIPPED = new Set(["pending", "skipped", "todo", "disabled"]);

export function countVitest(report: unknown, root: string, allowed: Map<TestKey, string>): Counts {
  const parsed = report as VitestReport | undefined;
  if (!parsed || typeof parsed !== "object") {
    return { passed: 0, failed: 1, skipped: 0, problems: ["Vitest wrote no readable report"] };
  }
  const skipped = (parsed.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? [])
      .filter((result) => VITEST_SKIPPED.has(result.status))
      .map((result) => testKey(relative(file.name, root), [...(result.ancestorTitles ?? []), result.title])),
  );
  const failed = parsed.numFailedTests ?? 0;
  return withSkips(
    {
      passed: parsed.numPassedTests ?? 0,
      failed: failed + (parsed.success === false && failed === 0 ? 1 : 0),
      skipped: (parsed.numPendingTests ?? 0) + (parsed.numTodoTests ?? 0),
    },
    skipped,
    allowed,
  );
}

interface PlaywrightSuite {
  title: string;
  file?: string;
  suites?: PlaywrightSuite[];
  specs?: { title: string; file?: string; tests?: { status?: string }[] }[];
}

interface PlaywrightReport {
  stats?: { expected?: number; unexpected?: number; flaky?: number; skipped?: number };
  suites?: PlaywrightSuite[];
  errors?: unknown[];
}

function playwrightSkips(suite: PlaywrightSuite, file: string, titles: string[]): TestKey[] {
  // The top suite of a file is titled with the file itself; describe blocks below it add titles.
  const here = suite.file && titles.length === 0 && suite.title === suite.file ? [] : [...titles, suite.title];
  const ownFile = suite.file ?? file;
  return [
    ...(suite.specs ?? []).flatMap((spec) =>
      (spec.tests ?? []).some((test) => test.status === "skipped")
        ? [testKey(spec.file ?? ownFile, [...here, spec.title])]
        : [],
    ),
    ...(suite.suites ?? []).flatMap((child) => playwrightSkips(child, ownFile, here)),
  ];
}

export function countPlaywright(report: unknown, testDir: string, allowed: Map<TestKey, string>): Counts {
  const parsed = report as PlaywrightReport | undefined;
  if (!parsed || typeof parsed !== "object") {
    return { passed: 0, failed: 1, skipped: 0, problems: ["Playwright wrote no readable report"] };
  }
  const stats = parsed.stats ?? {};
  // Errors outside any test (a .only under forbidOnly, a broken config, a server that never started).
  const errors = parsed.errors?.length ?? 0;
  const skipped = (parsed.suites ?? []).flatMap((suite) => playwrightSkips(suite, suite.file ?? suite.title, []));
  const counts = withSkips(
    {
      passed: stats.expected ?? 0,
      failed: (stats.unexpected ?? 0) + (stats.flaky ?? 0) + errors,
      skipped: stats.skipped ?? 0,
    },
    skipped.map((key) => `${testDir}/${key}`),
    allowed,
  );
  return errors > 0 ? { ...counts, problems: [...counts.problems, `Playwright reported ${errors} error(s)`] } : counts;
}

function relative(file: string, root: string): string {
  return file.startsWith(`${root}/`) ? file.slice(root.length + 1) : file;
}

export function readVitest(file: string, root: string, allowed: Map<TestKey, string>): Counts {
  return countVitest(existsSync(file) ? readJson(file) : undefined, root, allowed);
}

export function readPlaywright(file: string, testDir: string, allowed: Map<TestKey, string>): Counts {
  return countPlaywright(existsSync(file) ? readJson(file) : undefined, testDir, allowed);
}

/** A runner that exits non-zero failed, even if its report shows no failed test (e.g. its server never started). */
export function atLeastOneFailureIf(failedToRun: boolean, counts: Counts): Counts {
  return failedToRun && counts.failed === 0
    ? { ...counts, failed: 1, problems: [...counts.problems, "the runner exited with a failure"] }
    : counts;
}

export function summaryLine(total: Counts): string {
  return `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`;
}

/**
 * Runs a command with the terminal; resolves with its exit code. A command that cannot be
 * started at all (a missing binary) resolves 127, as a shell would, instead of hanging or throwing.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; onError?: (message: string) => void },
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: "inherit", env: { ...process.env, ...options.env } });
    child.on("error", (error) => {
      options.onError?.(`${command} could not be started: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
