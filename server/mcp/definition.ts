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
 * `<server>__<tool>` for every remote name of one server's listing. A name kept as it was
 * (already lower_snake, short enough) maps to itself; any other — rewritten, truncated, or
 * colliding with another — gets a suffix from the hash of the remote name, so the mapping
 * depends only on the remote name and never on the order of the listing.
 */
export function namespacedToolNames(serverName: string, remoteNames: string[]): Map<string, string> {
  const prefix = `${serverName}${SEPARATOR}`;
  const room = TOOL_NAME_MAX - prefix.length;
  const plain = (remote: string) => {
    const snake = sanitize(remote);
    return snake === remote && snake.length <= room && !snake.includes(SEPARATOR) ? snake : null;
  };
  const suffixed = (remote: string, hashLength: number) => {
    const suffix = `_${shortHash(remote, hashLength)}`;
    const stem = sanitize(remote)
      .replaceAll(SEPARATOR, "_")
      .slice(0, room - suffix.length)
      .replace(/_+$/, "");
    return `${stem || "tool"}${suffix}`;
  };
  const unique = [...new Set(remoteNames)];
  const kept = new Map(unique.map((remote) => [remote, plain(remote)]));
  const used = new Set([...kept.values()].filter((name): name is string => name !== null));
  const result = new Map<string, string>();
  for (const remote of unique) {
    let local = kept.get(remote) ?? null;
    // A rewritten name that meets another tool's name takes a longer hash until it is unique.
    for (let hashLength = 8; local === null || (kept.get(remote) === null && used.has(local)); hashLength += 8) {
      local = suffixed(remote, Math.min(hashLength, 40));
      if (hashLength >= 40) break;
    }
    used.add(local);
    result.set(remote, `${prefix}${local}`);
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
