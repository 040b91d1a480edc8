/**
 * A tool an MCP server listed, as an ordinary Airlock `Tool`: the model sees the server's
 * JSON Schema; arguments are validated against it before anything else sees them; the
 * version covers the definition hash, so a changed definition voids approvals bound to the
 * old one; the class starts from the annotations (untrusted hints) and policy knows whether
 * an admin confirmed it. The result keeps the MCP content, bounded.
 */
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { z } from "zod";
import type { McpToolRow } from "../db/mcp-servers";
import type { RiskClass } from "../shared/risk";
import { type AnyTool, defineTool, type ToolContext } from "../tools/define-tool";
import { hintedClass, toolConfirmation } from "./definition";
import type { ResolvedServer } from "./server-config";

/** What the model may be shown of a description an outside server wrote. */
const MODEL_DESCRIPTION_MAX = 4_000;

const validator = new AjvJsonSchemaValidator();

export type McpCall = (
  remoteName: string,
  args: Record<string, unknown>,
  context: ToolContext & { nonRead: boolean },
) => Promise<unknown>;

function argumentsSchema(schema: Record<string, unknown>): {
  input: z.ZodType<Record<string, unknown>>;
  problem?: string;
} {
  let check: ((value: unknown) => { valid: boolean; errorMessage?: string }) | undefined;
  let problem: string | undefined;
  try {
    check = validator.getValidator(schema as never);
  } catch (error) {
    problem = `its input schema is not valid JSON Schema: ${(error as Error).message.slice(0, 300)}`;
  }
  const input = z.record(z.string(), z.unknown()).superRefine((value, context) => {
    if (!check) {
      context.addIssue({ code: "custom", message: problem ?? "no usable input schema" });
      return;
    }
    const result = check(value);
    if (!result.valid)
      context.addIssue({ code: "custom", message: result.errorMessage ?? "does not match the schema" });
  });
  return { input, ...(problem ? { problem } : {}) };
}

export function buildMcpTool(row: McpToolRow, server: ResolvedServer, call: McpCall): AnyTool {
  const inputSchema = row.inputSchema as Record<string, unknown>;
  const { input, problem } = argumentsSchema(inputSchema);
  const hint = hintedClass(row.annotations as Record<string, unknown> | null);
  const confirmation = toolConfirmation(row);
  const confirmedClass: RiskClass | undefined =
    confirmation === "confirmed" && row.confirmedClass ? row.confirmedClass : undefined;
  // What the call runs as, for idempotency: only a confirmed READ is retried after a crash.
  const effectiveRead = (confirmedClass ?? server.defaultRiskClass ?? hint.riskClass) === "READ";
  const description =
    row.description.length > MODEL_DESCRIPTION_MAX
      ? `${row.description.slice(0, MODEL_DESCRIPTION_MAX)}…`
      : row.description;
  return defineTool({
    name: row.name,
    description: description || `${row.remoteName} (from the MCP server ${server.name})`,
    input,
    output: z.unknown(),
    risk: hint.riskClass,
    idempotent: effectiveRead && confirmation === "confirmed",
    modelInputSchema: inputSchema,
    definitionHash: row.definitionHash,
    imported: {
      server: server.name,
      hintReasons: hint.reasons,
      ...(server.defaultRiskClass ? { serverDefault: server.defaultRiskClass } : {}),
      confirmation,
      ...(confirmedClass ? { confirmedClass } : {}),
      newToolMode: server.newToolMode,
    },
    ...(problem ? { unavailable: async () => `${row.name} cannot be called: ${problem}` } : {}),
    preview: async (args) => ({
      summary: `Call ${row.remoteName} on the MCP server ${server.name}`,
      detail: JSON.stringify(args, null, 2),
      format: "json",
    }),
    execute: (args, context) => call(row.remoteName, args, { ...context, nonRead: context.riskClass !== "READ" }),
  });
}
