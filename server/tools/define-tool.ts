/**
 * The tool contract. A tool is data (name, schemas, risk) plus an execute function; it
 * knows nothing about policy, approvals or the inbox. The engine validates arguments
 * against `input` before anything else sees them, and results against `output`.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { ImportedToolPolicy } from "../policy/types";
import type { RiskClass, Role } from "../shared/risk";
import type { Logger } from "../telemetry/logger";

export interface ToolActor {
  id: string;
  role: Role;
}

export interface ToolContext {
  /** Aborted when the run is cancelled or the tool's timeout passes. */
  signal: AbortSignal;
  actor: ToolActor;
  runId: string;
  toolCallId: string;
  /** Stable across retries of the same call: idempotent tools use it to apply a change once. */
  idempotencyKey: string;
  /**
   * The class policy settled on for this call as it runs. A call runs as DESTRUCTIVE only
   * with a human's approval (or an admin's confirmed auto-run rule), so a tool may take
   * write access from it: the shell binds the workspace writable only then.
   */
  riskClass: RiskClass;
  /** A reviewer approved this call (consumed its approval) before it started. */
  approved: boolean;
  /**
   * Policy, evaluated again as the call starts, grants it network access: the winning rule
   * allows it and an admin confirmed that rule. The shell shares the host's network only then.
   */
  network: boolean;
  logger: Logger;
}

export type ToolFactValue = string | number | boolean | string[];
export type ToolFacts = Record<string, ToolFactValue>;

export interface ToolPreview {
  /** One line for lists: what would happen. */
  summary: string;
  /** A unified diff, statement, command line or rendered message. */
  detail?: string;
  format?: "diff" | "sql" | "shell" | "text" | "json";
}

export interface ToolDefinition<Input = unknown, Output = unknown> {
  name: string;
  description: string;
  input: z.ZodType<Input>;
  output: z.ZodType<Output>;
  /** The default class; admins override it, `classify` refines it per call. */
  risk: RiskClass;
  /** Safe to run again after a crash with the same idempotency key. READ tools always are. */
  idempotent?: boolean;
  /**
   * Why the tool cannot run on this server right now (e.g. no OS sandbox), or null. A
   * reason makes every call refused with it, whatever class an admin set; the admin
   * console shows the tool as DISABLED with it.
   */
  unavailable?: () => Promise<string | null>;
  /** Refines the class per call (e.g. by parsed SQL statement type); throwing fails closed (DENY). */
  classify?: (input: Input) => RiskClass | Promise<RiskClass>;
  /**
   * Facts about a call that admin rules can match on besides the arguments, e.g.
   * `{ statementTypes: ["DELETE"], tables: ["customers"] }` or `{ command: "rm" }`.
   */
  facts?: (input: Input) => ToolFacts | Promise<ToolFacts>;
  preview?: (input: Input, context: ToolContext) => Promise<ToolPreview>;
  /**
   * For results of sensitive reads: the exact values to hide wherever others could see
   * them (run events, a reviewer's context). Default: every string in the output.
   */
  sensitiveValues?: (output: Output) => string[];
  execute: (input: Input, context: ToolContext) => Promise<Output>;
  /**
   * For a tool defined by a JSON Schema rather than zod (one imported from an MCP server):
   * the schema the model is shown. `input` must validate against exactly this schema.
   */
  modelInputSchema?: Record<string, unknown>;
  /** A hash of whatever else defines the tool (an MCP tool's definition hash): part of `version`. */
  definitionHash?: string;
  /** A tool imported from an MCP server: what policy must know of its origin and confirmation. */
  imported?: ImportedToolPolicy;
}

/**
 * Thrown by a tool whose call may have taken effect although it did not complete (an MCP
 * server that crashed or stopped answering mid-call): a non-read call becomes
 * UNKNOWN_OUTCOME and is never retried blindly.
 */
export class ToolOutcomeUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolOutcomeUnknownError";
  }
}

export interface Tool<Input = unknown, Output = unknown> extends ToolDefinition<Input, Output> {
  /** JSON Schema of the input, what the model is shown. */
  inputJsonSchema: Record<string, unknown>;
  /** Hash of name, description and schemas: an approval binds to it, so a changed tool voids it. */
  version: string;
}

export type AnyTool = Tool<any, any>;

export function defineTool<Input, Output>(definition: ToolDefinition<Input, Output>): Tool<Input, Output> {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(definition.name)) {
    throw new Error(`Tool name "${definition.name}" must be lower_snake_case, at most 64 characters`);
  }
  const inputJsonSchema =
    definition.modelInputSchema ?? (z.toJSONSchema(definition.input, { io: "input" }) as Record<string, unknown>);
  const outputJsonSchema = z.toJSONSchema(definition.output, { io: "output", unrepresentable: "any" });
  const version = createHash("sha256")
    .update(
      JSON.stringify([
        definition.name,
        definition.description,
        inputJsonSchema,
        outputJsonSchema,
        definition.risk,
        ...(definition.definitionHash ? [definition.definitionHash] : []),
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  return { ...definition, inputJsonSchema, version };
}
