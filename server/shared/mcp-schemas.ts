/** Zod schemas of the console's MCP server settings, shared by the admin UI's forms and the server. */
import { z } from "zod";
import { RISK_CLASSES } from "./risk";
import { int32, storableTextCheck, text } from "./text";

export const MCP_TRANSPORTS = ["STDIO", "HTTP"] as const;
export const MCP_NEW_TOOL_MODES = ["NEEDS_APPROVAL", "DISABLED"] as const;
export const MCP_CONNECTION_STATES = ["CONNECTING", "READY", "FAILED", "STOPPED"] as const;
export type McpConnectionState = (typeof MCP_CONNECTION_STATES)[number];

/** Leaves room for `__` and a tool name within the 64 characters every provider accepts. */
export const MCP_SERVER_NAME_MAX = 24;

/**
 * The namespace of a server's tools: lower_snake, no double underscore (that separates the
 * server from the tool in `<server>__<tool>`), no trailing underscore.
 */
export const mcpServerName = text(MCP_SERVER_NAME_MAX)
  .regex(/^[a-z][a-z0-9_]*$/, "lower_snake_case: a-z, digits and _, starting with a letter")
  .refine((value) => !value.includes("__") && !value.endsWith("_"), "No double or trailing underscore");

/** An environment variable's or header's name. */
const settingName = text(128).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "Letters, digits, _ . - (not starting with a digit)");

/**
 * One env variable or header. A secret's value is stored encrypted and never shown again;
 * sending a secret without `value` keeps the stored one.
 */
export const mcpSettingInput = z.object({
  name: settingName,
  secret: z.boolean(),
  value: text(8_000).optional(),
});
export type McpSettingInput = z.infer<typeof mcpSettingInput>;

export const bearerTokenChange = z.discriminatedUnion("action", [
  z.object({ action: z.literal("keep") }),
  z.object({ action: z.literal("clear") }),
  z.object({ action: z.literal("set"), value: text(4_000, { trim: true }).min(8, "At least 8 characters") }),
]);
export type BearerTokenChange = z.infer<typeof bearerTokenChange>;

const mcpUrl = z
  .url({ protocol: /^https?$/, error: "Enter an http(s) URL such as http://localhost:3001/mcp" })
  .check(storableTextCheck)
  .max(2_000, "At most 2,000 characters");

const common = {
  name: mcpServerName,
  enabled: z.boolean(),
  newToolMode: z.enum(MCP_NEW_TOOL_MODES),
  defaultRiskClass: z.enum(RISK_CLASSES).nullable(),
  callTimeoutMs: int32(1_000, 600_000),
};

export const mcpServerInputSchema = z.discriminatedUnion("transport", [
  z.object({
    ...common,
    transport: z.literal("STDIO"),
    command: text(1_000, { trim: true }).min(1, "A command is required"),
    args: z.array(text(4_000)).max(100, "At most 100 arguments"),
    cwd: text(1_000, { trim: true }).min(1).nullable(),
    env: z.array(mcpSettingInput).max(100, "At most 100 variables"),
  }),
  z.object({
    ...common,
    transport: z.literal("HTTP"),
    url: mcpUrl,
    headers: z.array(mcpSettingInput).max(50, "At most 50 headers"),
    bearerToken: bearerTokenChange,
  }),
]);
export type McpServerInput = z.infer<typeof mcpServerInputSchema>;
