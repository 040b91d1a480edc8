/** The process's tool registry: built once, shared by the engine and by approval decisions. */
import { builtInTools } from "./built-in";
import type { ToolRegistry } from "./registry";

let cached: ToolRegistry | undefined;

export function defaultToolRegistry(): ToolRegistry {
  cached ??= builtInTools();
  return cached;
}
