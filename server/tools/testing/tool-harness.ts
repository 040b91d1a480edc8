/**
 * Calls a tool the way the engine does — arguments parsed with its input schema first,
 * then classify, preview and execute with a context — so tool tests exercise the same
 * path without a run, a model or a database.
 */
import { createLogger } from "../../telemetry/logger";
import type { AnyTool, ToolContext } from "../define-tool";

let calls = 0;

export function testToolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  calls++;
  return {
    signal: new AbortController().signal,
    actor: { id: "user-test", role: "USER" },
    runId: "run-test",
    toolCallId: `call-${calls}`,
    idempotencyKey: `run-test:0:${calls}`,
    // What a call gets that policy let through unreviewed: no write access.
    riskClass: "READ",
    approved: false,
    network: false,
    logger: createLogger({ test: true }),
    ...overrides,
  };
}

export function parseArguments(tool: AnyTool, args: unknown): unknown {
  return tool.input.parse(args);
}

export async function classify(tool: AnyTool, args: unknown) {
  const input = parseArguments(tool, args);
  return tool.classify ? tool.classify(input) : tool.risk;
}

export async function preview(tool: AnyTool, args: unknown, context = testToolContext()) {
  if (!tool.preview) throw new Error(`${tool.name} has no preview`);
  return tool.preview(parseArguments(tool, args), context);
}

export async function execute(tool: AnyTool, args: unknown, context = testToolContext()) {
  const output = await tool.execute(parseArguments(tool, args), context);
  return tool.output.parse(output);
}

export function findTool(tools: AnyTool[], name: string): AnyTool {
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool named ${name}`);
  return tool;
}
