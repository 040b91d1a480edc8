/**
 * This instance's MCP client side: one connection per enabled server, connected on its own
 * (every instance connects by itself), the imported tools installed in the process's tool
 * registry, and each connection's status reported to the database and the metrics. Any
 * change of a server or its tools — an admin's on any instance (NOTIFY airlock_mcp), or a
 * listing another instance stored — reloads it for the next call; a fingerprint check on
 * a timer heals a missed notification.
 */
import { randomUUID } from "node:crypto";
import type { Tool as RemoteTool } from "@modelcontextprotocol/sdk/types.js";
import {
  deleteMcpStatusesOfInstance,
  listMcpServersWithSecrets,
  listMcpToolRows,
  MCP_CONFIG_CHANNEL,
  type McpToolRow,
  readMcpFingerprint,
  writeMcpStatus,
} from "../db/mcp-servers";
import { listen, onReconnect, serialReload } from "../db/notifications";
import { logger } from "../telemetry/logger";
import { reportMcpServerState } from "../telemetry/metrics";
import { installImportedTools } from "../tools/default-registry";
import type { AnyTool } from "../tools/define-tool";
import { type ConnectionStatus, McpConnection } from "./connection";
import { onMcpConfigChange } from "./lifecycle";
import { buildMcpTool } from "./mcp-tool";
import { type ResolvedServer, resolveServer, scrubMessage } from "./server-config";
import { killAllStdioServers } from "./stdio-transport";
import { applyToolListing, normalizeListing } from "./tool-listing";

const FINGERPRINT_CHECK_MS = 30_000;

export interface McpManagerOptions {
  /** Names this instance in the status rows; default: a random id per process. */
  instanceId?: string;
  /** Whether to install the imported tools into the process's default registry (default true). */
  installTools?: boolean;
  /** Whether to follow NOTIFY (default true). */
  listen?: boolean;
}

export class McpManager {
  readonly instanceId: string;
  private readonly connections = new Map<string, McpConnection>();
  /** Servers whose stored settings cannot be opened (SECRETS_KEY): failed without a connection. */
  private readonly broken = new Map<string, string>();
  private readonly statusWrites = new Map<string, Promise<void>>();
  private tools: readonly AnyTool[] = [];
  /** Reads the servers, then reconciles with them; concurrent requests coalesce into one more pass. */
  private readonly reloads = serialReload(
    () => this.readServers(),
    (servers) => this.reconcile(servers),
  );
  private lastReload: Promise<void> = Promise.resolve();
  private fingerprint = "";
  private timer?: NodeJS.Timeout;
  private unlisten?: () => void;
  private unreconnect?: () => void;
  private stopped = false;

  constructor(private readonly options: McpManagerOptions = {}) {
    this.instanceId = options.instanceId ?? `instance-${randomUUID()}`;
  }

  async start(): Promise<void> {
    if (this.options.listen !== false) {
      this.unlisten = await listen(MCP_CONFIG_CHANNEL, () => void this.reload());
      this.unreconnect = onReconnect(() => void this.reload());
    }
    this.timer = setInterval(() => void this.checkFingerprint(), FINGERPRINT_CHECK_MS);
    this.timer.unref();
    await this.reload();
  }

  /** The imported tools this instance knows now. */
  importedTools(): readonly AnyTool[] {
    return this.tools;
  }

  status(serverId: string): ConnectionStatus | undefined {
    return this.connections.get(serverId)?.current();
  }

  connection(serverId: string): McpConnection | undefined {
    return this.connections.get(serverId);
  }

  /** Waits until every enabled server's current connection attempt has ended (tests, start-up). */
  async settled(): Promise<void> {
    await this.lastReload;
    await Promise.all([...this.connections.values()].map((connection) => connection.start()));
    await this.lastReload;
    await Promise.all([...this.statusWrites.values()]);
  }

  private async checkFingerprint() {
    try {
      if ((await readMcpFingerprint()) !== this.fingerprint) await this.reload();
    } catch (error) {
      logger.warn("MCP configuration check failed", { error: (error as Error).message });
    }
  }

  /** Reconciles connections and tools with the database; a failure is logged, and the next change retries. */
  reload(): Promise<void> {
    this.lastReload = this.reloads
      .reload()
      .catch((error) => logger.warn("reloading the MCP servers failed", { error: (error as Error).message }));
    return this.lastReload;
  }

  private async readServers() {
    if (this.stopped) return null;
    const fingerprint = await readMcpFingerprint();
    const [rows, toolRows] = await Promise.all([listMcpServersWithSecrets(), listMcpToolRows()]);
    return { fingerprint, rows, toolRows };
  }

  private async reconcile(servers: Awaited<ReturnType<McpManager["readServers"]>>) {
    if (!servers || this.stopped) return;
    const { fingerprint, rows, toolRows } = servers;
    const wanted = new Map<string, ResolvedServer>();
    this.broken.clear();
    for (const row of rows) {
      if (!row.enabled) continue;
      try {
        wanted.set(row.id, resolveServer(row));
      } catch (error) {
        const message = (error as Error).message;
        this.broken.set(row.id, message);
        void this.writeStatus(row.id, row.name, {
          state: "FAILED",
          lastError: message,
          lastErrorAt: new Date(),
          toolCount: 0,
          lastListedAt: null,
        });
      }
    }
    // Stop what is gone, disabled or changed; start what is new or changed.
    for (const [id, connection] of this.connections) {
      const next = wanted.get(id);
      if (next && next.version === connection.server.version) continue;
      this.connections.delete(id);
      await connection.stop();
      reportMcpServerState(connection.server.name, next ? "CONNECTING" : null);
      if (!next) {
        const stillThere = rows.find((row) => row.id === id);
        if (stillThere) void this.writeStatus(id, stillThere.name, { ...connection.current(), state: "STOPPED" });
      }
    }
    for (const [id, server] of wanted) {
      if (this.connections.has(id)) continue;
      const connection = new McpConnection(server, {
        onListed: (listedServer, tools) => this.storeListing(listedServer, tools),
        onStatus: (statusServer, status) => void this.writeStatus(statusServer.id, statusServer.name, status),
      });
      this.connections.set(id, connection);
      void connection.start();
    }
    this.installTools(toolRows);
    this.fingerprint = fingerprint;
  }

  private installTools(rows: McpToolRow[]) {
    const tools: AnyTool[] = [];
    for (const row of rows) {
      const connection = this.connections.get(row.serverId);
      if (!connection || row.removedAt !== null) continue;
      tools.push(
        buildMcpTool(row, connection.server, (remoteName, args, context) => {
          // The connection of the moment (a reload may have replaced it since the tool was built).
          const current = this.connections.get(row.serverId) ?? connection;
          return current.call(remoteName, args, { signal: context.signal, nonRead: context.nonRead });
        }),
      );
    }
    // Reuse the built tool when nothing about it changed, so the registry's list stays the same array.
    const previous = new Map(this.tools.map((tool) => [tool.name, tool]));
    const next = tools.map((tool) => {
      const old = previous.get(tool.name);
      return old && old.version === tool.version && sameImport(old, tool) ? old : tool;
    });
    const unchanged = next.length === this.tools.length && next.every((tool, index) => tool === this.tools[index]);
    if (unchanged) return;
    this.tools = next;
    if (this.options.installTools !== false) installImportedTools(next);
  }

  private async storeListing(server: ResolvedServer, tools: RemoteTool[]) {
    const changes = await applyToolListing({
      serverId: server.id,
      serverName: server.name,
      listed: normalizeListing(tools),
    });
    if (changes.changed.length > 0) {
      logger.warn("MCP tools changed their definition; they need confirming again", {
        server: server.name,
        tools: changes.changed,
      });
    }
    // The listing may have added or changed tools: this instance reloads now, the others on the NOTIFY.
    await this.reload();
  }

  /** One write at a time per server, in the order the states happened. */
  private writeStatus(serverId: string, serverName: string, status: ConnectionStatus): Promise<void> {
    reportMcpServerState(serverName, status.state, status.toolCount);
    const previous = this.statusWrites.get(serverId) ?? Promise.resolve();
    const next = previous.then(() => this.storeStatus(serverId, serverName, status));
    this.statusWrites.set(serverId, next);
    void next.finally(() => {
      if (this.statusWrites.get(serverId) === next) this.statusWrites.delete(serverId);
    });
    return next;
  }

  private async storeStatus(serverId: string, serverName: string, status: ConnectionStatus) {
    if (this.stopped) return;
    try {
      await writeMcpStatus({
        serverId,
        instanceId: this.instanceId,
        state: status.state,
        lastError: status.lastError ? scrubMessage(status.lastError, []) : null,
        lastErrorAt: status.lastErrorAt,
        toolCount: status.toolCount,
        lastListedAt: status.lastListedAt,
      });
    } catch (error) {
      logger.warn("writing an MCP server status failed", { server: serverName, error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unlisten?.();
    this.unreconnect?.();
    await this.lastReload;
    await Promise.all([...this.connections.values()].map((connection) => connection.stop()));
    for (const connection of this.connections.values()) reportMcpServerState(connection.server.name, null);
    this.connections.clear();
    await deleteMcpStatusesOfInstance(this.instanceId).catch(() => {});
  }
}

function sameImport(a: AnyTool, b: AnyTool): boolean {
  return JSON.stringify(a.imported) === JSON.stringify(b.imported) && a.idempotent === b.idempotent;
}

const globalForManager = globalThis as unknown as { airlockMcpManager?: Promise<McpManager> };

/** Once per process (app instance or worker): connect to the enabled servers and follow every change. */
export function startMcpClients(options: McpManagerOptions = {}): Promise<McpManager> {
  globalForManager.airlockMcpManager ??= (async () => {
    const manager = new McpManager(options);
    onMcpConfigChange(() => manager.reload());
    await manager.start();
    return manager;
  })().catch((error) => {
    globalForManager.airlockMcpManager = undefined;
    throw error;
  });
  return globalForManager.airlockMcpManager;
}

/** On shutdown: close every connection (stdio children are killed) and drop this instance's statuses. */
export async function stopMcpClients(): Promise<void> {
  const manager = await globalForManager.airlockMcpManager?.catch(() => undefined);
  globalForManager.airlockMcpManager = undefined;
  onMcpConfigChange(undefined);
  await manager?.stop();
  await killAllStdioServers();
}
