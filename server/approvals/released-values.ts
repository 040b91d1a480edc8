/** The sensitive values released in a conversation, as the engine must hide them from run events. */
import { readSensitiveResults } from "../db/tool-calls";
import { collectSensitiveStrings } from "../shared/sensitive-values";
import type { AnyTool } from "../tools/define-tool";
import type { ToolRegistry } from "../tools/registry";

/** The values to hide from one result of a sensitive read. */
export function sensitiveValuesOf(tool: AnyTool | undefined, output: unknown): string[] {
  if (tool?.sensitiveValues) {
    try {
      return tool.sensitiveValues(output);
    } catch {
      // A tool that cannot say falls back to hiding every string it returned.
    }
  }
  return [...collectSensitiveStrings(output)];
}

/** The values to hide, from results already read (the engine loads them with the run's state). */
export function sensitiveValuesFrom(
  results: { toolName: string; result: unknown }[],
  tools: ToolRegistry,
): Set<string> {
  const values = new Set<string>();
  for (const call of results) {
    for (const value of sensitiveValuesOf(tools.get(call.toolName), call.result)) values.add(value);
  }
  return values;
}

export async function loadSensitiveValues(conversationId: string, tools: ToolRegistry): Promise<Set<string>> {
  return sensitiveValuesFrom(await readSensitiveResults(conversationId), tools);
}
