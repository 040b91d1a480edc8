/** MCP tool rows by their namespaced names: what the inbox needs to flag requests for new or changed tools. */
import { db } from "./client";
import { type McpToolRow, mcpToolSelect } from "./mcp-servers";
import type { Transaction } from "./transaction";

export async function findMcpToolsByName(names: string[], tx: Transaction = db()): Promise<McpToolRow[]> {
  if (names.length === 0) return [];
  return tx.mcpTool.findMany({ where: { name: { in: names } }, select: mcpToolSelect });
}
