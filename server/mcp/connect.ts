/**
 * One MCP client session over stdio (a child with a scrubbed environment) or Streamable
 * HTTP, with the SDK's Client, and the tool listing (every page) it starts with.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Tool as RemoteTool } from "@modelcontextprotocol/sdk/types.js";
import { env } from "../env";
import type { ConnectionConfig } from "./server-config";
import { ScrubbedStdioTransport } from "./stdio-transport";

export const CLIENT_INFO = { name: "airlock", version: "0.1.0" } as const;
/** A listing longer than this is refused: no model needs more tools from one server. */
export const MAX_TOOLS_PER_SERVER = 500;
const MAX_LIST_PAGES = 50;

export interface OpenedClient {
  client: Client;
  transport: Transport;
  /** stdio: the last lines of the server's stderr (why it failed to start, usually). */
  diagnostics(): string;
}

export function createTransport(connection: ConnectionConfig): Transport {
  if (connection.transport === "STDIO") {
    return new ScrubbedStdioTransport({
      command: connection.command,
      args: connection.args,
      cwd: connection.cwd,
      env: connection.env,
      path: connection.env.PATH ?? env().PATH ?? "/usr/local/bin:/usr/bin:/bin",
    });
  }
  return new StreamableHTTPClientTransport(new URL(connection.url), {
    requestInit: { headers: connection.headers },
    // Reconnects of a dropped SSE stream; a lost session is the manager's to redo with backoff.
    reconnectionOptions: {
      initialReconnectionDelay: 500,
      maxReconnectionDelay: 10_000,
      reconnectionDelayGrowFactor: 2,
      maxRetries: 3,
    },
  });
}

/** Connects (initialize) within `timeoutMs`; the caller closes the client. */
export async function openClient(
  connection: ConnectionConfig,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<OpenedClient> {
  const transport = createTransport(connection);
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  const diagnostics = () => (transport instanceof ScrubbedStdioTransport ? transport.stderrTail() : "");
  try {
    await client.connect(transport, { timeout: options.timeoutMs, signal: options.signal });
  } catch (error) {
    await client.close().catch(() => {});
    const tail = diagnostics();
    throw new Error(`${(error as Error).message}${tail ? ` — the server said: ${tail.slice(-300)}` : ""}`, {
      cause: error,
    });
  }
  return { client, transport, diagnostics };
}

/** Every page of tools/list, bounded. */
export async function listAllTools(
  client: Client,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RemoteTool[]> {
  const tools: RemoteTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client.listTools(cursor ? { cursor } : {}, {
      timeout: options.timeoutMs,
      signal: options.signal,
    });
    tools.push(...result.tools);
    if (tools.length > MAX_TOOLS_PER_SERVER) {
      throw new Error(`The server lists more than ${MAX_TOOLS_PER_SERVER} tools`);
    }
    cursor = result.nextCursor;
    if (!cursor) return tools;
  }
  throw new Error(`The server's tool list did not end after ${MAX_LIST_PAGES} pages`);
}
