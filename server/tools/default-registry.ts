/**
 * The process's tool registry, shared by the engine and by approval decisions: the
 * built-in tools plus the tools imported from MCP servers that this instance currently
 * knows (server/mcp installs them). It is one object for the life of the process, so what
 * holds it (the engine's dependencies) sees every change; `list()` returns a new frozen
 * array only when the set of tools changes, so what is derived from it stays cached.
 */
import { builtInTools } from "./built-in";
import type { AnyTool } from "./define-tool";
import { createToolRegistry, type ToolRegistry } from "./registry";

interface DynamicRegistry {
  builtIn: ToolRegistry;
  imported: readonly AnyTool[];
  combined: ToolRegistry;
  registry: ToolRegistry;
}

const globalForRegistry = globalThis as unknown as { airlockToolRegistry?: DynamicRegistry };

function state(): DynamicRegistry {
  if (!globalForRegistry.airlockToolRegistry) {
    const builtIn = builtInTools();
    const current: DynamicRegistry = {
      builtIn,
      imported: [],
      combined: builtIn,
      registry: {
        get: (name) => current.combined.get(name),
        list: () => current.combined.list(),
      },
    };
    globalForRegistry.airlockToolRegistry = current;
  }
  return globalForRegistry.airlockToolRegistry;
}

export function defaultToolRegistry(): ToolRegistry {
  return state().registry;
}

/**
 * Replaces the imported tools (server/mcp calls it after every reload). An imported tool
 * may not take a built-in's name: it is left out (MCP names always hold `__`, built-ins never do).
 */
export function installImportedTools(tools: readonly AnyTool[]): void {
  const current = state();
  const same =
    tools.length === current.imported.length && tools.every((tool, index) => tool === current.imported[index]);
  if (same) return;
  const kept = tools.filter((tool) => current.builtIn.get(tool.name) === undefined);
  current.imported = tools;
  current.combined = createToolRegistry([...current.builtIn.list(), ...kept]);
}

export function importedTools(): readonly AnyTool[] {
  return state().imported;
}
