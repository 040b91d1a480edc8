/**
 * How the MCP gateway writes an outside agent's tools/call into a conversation, and how
 * the gateway model reads it back: the user message of a gateway run is
 * `MCP tools/call <tool>` on the first line and the arguments as canonical JSON after it.
 * Readable in the chat list, exact to parse, and identical for identical calls (which is
 * how a later identical call finds the run of an earlier one).
 */
import { canonicalJson } from "./canonical-json";

const HEADER = "MCP tools/call ";

export interface GatewayCall {
  toolName: string;
  args: Record<string, unknown>;
}

export function gatewayCallText(call: GatewayCall): string {
  return `${HEADER}${call.toolName}\n${canonicalJson(call.args)}`;
}

/** The call a gateway message asks for, or null for any other text. */
export function parseGatewayCallText(text: string): GatewayCall | null {
  if (!text.startsWith(HEADER)) return null;
  const newline = text.indexOf("\n");
  if (newline < 0) return null;
  const toolName = text.slice(HEADER.length, newline);
  if (!/^\S+$/.test(toolName)) return null;
  try {
    const args: unknown = JSON.parse(text.slice(newline + 1));
    if (typeof args !== "object" || args === null || Array.isArray(args)) return null;
    return { toolName, args: args as Record<string, unknown> };
  } catch {
    return null;
  }
}
