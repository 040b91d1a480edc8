/** The tools every run gets. Each lives in its own file; this only lists them. */
import { createToolRegistry, type ToolRegistry } from "./registry";

export function builtInTools(): ToolRegistry {
  return createToolRegistry([]);
}
