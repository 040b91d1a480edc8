/**
 * The flag a reviewer sees on a request for an MCP tool an admin has not confirmed as it
 * is defined now: a new tool (its class is the server's untrusted hint until confirmed),
 * or a known tool whose definition changed since it was confirmed (tool poisoning, a rug
 * pull) — with what changed, field by field. Built-in tools have no flag.
 */
import type { McpToolRow } from "../db/mcp-servers";
import { findMcpToolsByName } from "../db/mcp-tool-flags";
import { definitionDiff, definitionOf, type ToolDefinitionSnapshot } from "../mcp/definition";

export interface McpToolFlag {
  state: "new" | "changed";
  /** When the definition changed after the tool was first seen. */
  changedAt: Date | null;
  /** The changed fields, before and after; null for a new tool. */
  diff: Record<string, { before: unknown; after: unknown }> | null;
}

function flagOf(row: McpToolRow): McpToolFlag | null {
  if (row.confirmedHash === row.definitionHash) return null;
  // As the console says it (server/mcp/admin.ts toolConfirmation): never confirmed is new.
  if (row.confirmedHash === null) return { state: "new", changedAt: null, diff: null };
  const current = definitionOf({
    name: row.remoteName,
    description: row.description,
    inputSchema: row.inputSchema as Record<string, unknown>,
    ...(row.outputSchema ? { outputSchema: row.outputSchema as Record<string, unknown> } : {}),
    ...(row.annotations ? { annotations: row.annotations as Record<string, unknown> } : {}),
  });
  return {
    state: "changed",
    changedAt: row.changedAt,
    diff: definitionDiff(row.previousDefinition as Partial<ToolDefinitionSnapshot> | null, current),
  };
}

/** The flags of the given tool names that have one. */
export async function mcpToolFlags(toolNames: Iterable<string>): Promise<Map<string, McpToolFlag>> {
  const rows = await findMcpToolsByName([...new Set(toolNames)]);
  const flags = new Map<string, McpToolFlag>();
  for (const row of rows) {
    const flag = flagOf(row);
    if (flag) flags.set(row.name, flag);
  }
  return flags;
}
