/**
 * The official MCP conformance suite's client scenarios against Airlock's client (the
 * connection every instance uses, through scripts/mcp-conformance-client.ts), run with the
 * project's Node 24. Expected failures live in testing/conformance-client-baseline.yml with
 * a reason each; anything else failing — or an expected failure that now passes — fails here.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const NODE = path.resolve("node_modules/.bin/node");
const CLI = path.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
const BASELINE = path.resolve("server/mcp/testing/conformance-client-baseline.yml");
const CLIENT = `${path.resolve("node_modules/.bin/tsx")} ${path.resolve("scripts/mcp-conformance-client.ts")}`;

/** The client scenarios that apply to a tools-only client without OAuth (auth/* need an OAuth client; Airlock sends a configured bearer token). */
const SCENARIOS = ["initialize", "tools_call", "sse-retry", "elicitation-sep1034-client-defaults"];

let output: string;
beforeAll(async () => {
  output = await mkdtemp(path.join(os.tmpdir(), "airlock-conformance-"));
});
afterAll(async () => {
  if (output) await rm(output, { recursive: true, force: true });
});

describe.concurrent("MCP conformance: client scenarios", () => {
  it.each(SCENARIOS)("%s passes or fails only as the baseline expects", async (scenario) => {
    const result = await run(
      NODE,
      [CLI, "client", "--command", CLIENT, "--scenario", scenario, "--expected-failures", BASELINE, "-o", output],
      { timeout: 60_000 },
    ).catch((error: { code?: number; stdout?: string; stderr?: string }) => error);
    const text = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    expect(text).toMatch(/Passed: \d+\/\d+|Baseline check passed/);
    expect("code" in result && result.code ? `exit ${result.code}\n${text}` : "exit 0").toBe("exit 0");
  });
});
