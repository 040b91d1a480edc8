/** The set of tools a run may call, looked up by name. Unknown names are the engine's to refuse. */
import type { AnyTool } from "./define-tool";

export interface ToolRegistry {
  get(name: string): AnyTool | undefined;
  /** The same array every time, so derived forms (the model's tool set) can be cached on it. */
  list(): readonly AnyTool[];
}

export function createToolRegistry(tools: AnyTool[]): ToolRegistry {
  const byName = new Map<string, AnyTool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`Two tools are named "${tool.name}"`);
    byName.set(tool.name, tool);
  }
  const all = Object.freeze([...byName.values()]);
  return {
    get: (name) => byName.get(name),
    list: () => all,
  };
}
