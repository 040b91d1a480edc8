/** The set of tools a run may call, looked up by name. Unknown names are the engine's to refuse. */
import type { AnyTool } from "./define-tool";

export interface ToolRegistry {
  get(name: string): AnyTool | undefined;
  list(): AnyTool[];
}

export function createToolRegistry(tools: AnyTool[]): ToolRegistry {
  const byName = new Map<string, AnyTool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`Two tools are named "${tool.name}"`);
    byName.set(tool.name, tool);
  }
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
  };
}
