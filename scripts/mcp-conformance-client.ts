/**
 * The conformance suite's client entry (`@modelcontextprotocol/conformance client --command`):
 * Airlock's own MCP client code — the connection of server/mcp/connection.ts, as every
 * instance uses it — connects to the scenario's server (the last argument), lists its
 * tools and calls each one with arguments made from its schema. Exit 0 when every call
 * ended (success or a clear tool error), 1 when the connection failed.
 */
import type { Tool as RemoteTool } from "@modelcontextprotocol/sdk/types.js";
import { McpConnection } from "../server/mcp/connection";
import type { ResolvedServer } from "../server/mcp/server-config";

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
};

/** A value for every required property: enough for a scenario's tool to run. */
function sampleArguments(schema: Schema): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const property = schema.properties?.[name] ?? {};
    args[name] =
      property.default ??
      property.enum?.[0] ??
      (property.type === "number" || property.type === "integer"
        ? 2
        : property.type === "boolean"
          ? true
          : property.type === "object"
            ? sampleArguments(property)
            : property.type === "array"
              ? []
              : "conformance");
  }
  return args;
}

async function main() {
  const url = process.argv[process.argv.length - 1];
  if (!url?.startsWith("http")) throw new Error("usage: mcp-conformance-client <server-url>");
  const server: ResolvedServer = {
    id: "conformance",
    name: "conformance",
    version: 1,
    enabled: true,
    newToolMode: "NEEDS_APPROVAL",
    defaultRiskClass: null,
    callTimeoutMs: 20_000,
    connection: { transport: "HTTP", url, headers: {} },
    secrets: [],
  };
  let listed: RemoteTool[] = [];
  const connection = new McpConnection(server, {
    onListed: async (_server, tools) => {
      listed = tools;
    },
    onStatus: (_server, status) =>
      console.error(`status ${status.state}${status.lastError ? `: ${status.lastError}` : ""}`),
  });
  await connection.start();
  if (connection.current().state !== "READY") {
    await connection.stop();
    process.exit(1);
  }
  for (const tool of listed) {
    try {
      const result = await connection.call(tool.name, sampleArguments(tool.inputSchema as Schema), {
        signal: AbortSignal.timeout(25_000),
        nonRead: true,
      });
      console.log(`${tool.name}: ${JSON.stringify(result).slice(0, 500)}`);
    } catch (error) {
      console.log(`${tool.name}: error: ${(error as Error).message}`);
    }
  }
  await connection.stop();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
