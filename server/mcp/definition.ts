/**
 * What Airlock makes of a tool an MCP server lists: its namespaced name (`<server>__<tool>`,
 * valid for every provider's tool-name rules, stable and collision-safe), its definition
 * hash (remote name, description, input/output schema, annotations), and the class its
 * annotations hint at. Annotations come from an untrusted server: they only ever suggest
 * a class; an admin confirms it.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../shared/canonical-json";
import type { RiskClass } from "../shared/risk";

/** OpenAI and Anthropic both accept ^[a-zA-Z0-9_-]{1,64}$; defineTool asks for lower_snake within it. */
export const TOOL_NAME_MAX = 64;
const SEPARATOR = "__";

export interface RemoteToolDefinition {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

function shortHash(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

/** The remote name in lower_snake: runs of anything else become one `_`. */
function sanitize(remoteName: string): string {
  const snake = remoteName
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return snake.length > 0 ? snake : "tool";
}

/**
 * `<server>__<tool>` for every remote name of one server's listing: the remote name in
 * lower_snake (`get-env` → `get_env`). Where that is not enough — the name had to be cut to
 * fit 64 characters, or two remote names of the listing meet in the same snake form — a
 * suffix from the hash of the remote name keeps them apart (a name already in lower_snake
 * keeps its form). Stored tools keep the name they were first given (tool-listing.ts).
 */
export function namespacedToolNames(serverName: string, remoteNames: string[]): Map<string, string> {
  const prefix = `${serverName}${SEPARATOR}`;
  const room = TOOL_NAME_MAX - prefix.length;
  const unique = [...new Set(remoteNames)];
  const snakeOf = new Map(unique.map((remote) => [remote, sanitize(remote)]));
  const count = new Map<string, number>();
  for (const snake of snakeOf.values()) count.set(snake, (count.get(snake) ?? 0) + 1);
  const suffixed = (remote: string, hashLength: number) => {
    const suffix = `_${shortHash(remote, hashLength)}`;
    const stem = (snakeOf.get(remote) ?? "tool").slice(0, room - suffix.length).replace(/_+$/, "");
    return `${stem || "tool"}${suffix}`;
  };
  const used = new Set<string>();
  const result = new Map<string, string>();
  // Names that keep their plain form first, so a suffixed one can never take theirs.
  const plain = (remote: string) => {
    const snake = snakeOf.get(remote) ?? "tool";
    if (snake.length > room) return null;
    if ((count.get(snake) ?? 0) > 1 && snake !== remote) return null;
    return snake;
  };
  for (const remote of unique) {
    const name = plain(remote);
    if (name !== null && !used.has(name)) {
      used.add(name);
      result.set(remote, `${prefix}${name}`);
    }
  }
  for (const remote of unique) {
    if (result.has(remote)) continue;
    let name = suffixed(remote, 8);
    for (let hashLength = 16; used.has(name) && hashLength <= 40; hashLength += 8) name = suffixed(remote, hashLength);
    used.add(name);
    result.set(remote, `${prefix}${name}`);
  }
  return result;
}

export function definitionOf(tool: RemoteToolDefinition) {
  return {
    name: tool.name,
    description: tool.description ?? "",
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema ?? null,
    annotations: tool.annotations ?? null,
  };
}

export type ToolDefinitionSnapshot = ReturnType<typeof definitionOf>;

/** Hash of everything the model and a reviewer rely on: a change is a new tool until confirmed again. */
export function definitionHash(tool: RemoteToolDefinition): string {
  return createHash("sha256")
    .update(canonicalJson(definitionOf(tool)))
    .digest("hex");
}

/** The fields of two definitions that differ, each with its before and after. */
export function definitionDiff(
  before: Partial<ToolDefinitionSnapshot> | null,
  after: ToolDefinitionSnapshot,
): Record<string, { before: unknown; after: unknown }> {
  const diff: Record<string, { before: unknown; after: unknown }> = {};
  for (const key of Object.keys(after) as (keyof ToolDefinitionSnapshot)[]) {
    const previous = before?.[key] ?? null;
    if (canonicalJson(previous) !== canonicalJson(after[key])) diff[key] = { before: previous, after: after[key] };
  }
  return diff;
}

export interface HintedClass {
  riskClass: RiskClass;
  reasons: string[];
}

/**
 * The spec's annotations with the spec's defaults: readOnlyHint (default false) → READ;
 * otherwise the tool changes something → DESTRUCTIVE, whatever destructiveHint (default
 * true) says, since Airlock has no class for "additive" writes. openWorldHint (default
 * true) is noted.
 */
export function hintedClass(annotations: Record<string, unknown> | null | undefined): HintedClass {
  const readOnly = annotations?.readOnlyHint === true;
  const destructive = annotations?.destructiveHint !== false;
  const openWorld = annotations?.openWorldHint !== false;
  const reasons = [
    readOnly
      ? "the server says it only reads (readOnlyHint, an untrusted hint)"
      : destructive
        ? "the server does not say it only reads (destructiveHint defaults to true)"
        : "the server says it changes things without destroying them (destructiveHint false, an untrusted hint)",
  ];
  if (openWorld) reasons.push("it may reach outside systems (openWorldHint)");
  return { riskClass: readOnly ? "READ" : "DESTRUCTIVE", reasons };
}

export type McpToolConfirmation = "confirmed" | "new" | "changed";

/** "confirmed" only when an admin confirmed the definition as it is now. */
export function toolConfirmation(row: { confirmedHash: string | null; definitionHash: string }): McpToolConfirmation {
  if (row.confirmedHash === null) return "new";
  return row.confirmedHash === row.definitionHash ? "confirmed" : "changed";
}
