/**
 * This instance's connection to one MCP server: connecting → ready, or failed with the
 * last error and when, reconnecting with exponential backoff; tools/list at every
 * connect and on `notifications/tools/list_changed`; calls with a timeout, cancellation
 * (the SDK sends `notifications/cancelled` when the call's signal aborts) and a cap on the
 * result. Whatever the server does — crash, hang, garbage, an error result — a call ends
 * with a clear error, never a stuck worker.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type Tool as RemoteTool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { McpConnectionState } from "../shared/mcp-schemas";
import { ToolOutcomeUnknownError } from "../tools/define-tool";
import { listAllTools, type OpenedClient, openClient } from "./connect";
import { type ResolvedServer, scrubMessage } from "./server-config";

export const CONNECT_TIMEOUT_MS = 20_000;
export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;
/** The most of one result (as JSON) that is kept: text beyond it is cut, larger structured content is dropped. */
export const RESULT_MAX_CHARS = 100_000;

export interface ConnectionStatus {
  state: McpConnectionState;
  lastError: string | null;
  lastErrorAt: Date | null;
  toolCount: number;
  lastListedAt: Date | null;
}

export interface ConnectionHooks {
  /** A fresh tools/list: stored (new/changed/removed tools) before the connection counts as ready. */
  onListed(server: ResolvedServer, tools: RemoteTool[]): Promise<void>;
  onStatus(server: ResolvedServer, status: ConnectionStatus): void;
}

export class McpServerUnavailableError extends Error {}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause =
      error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

export class McpConnection {
  private opened?: OpenedClient;
  private status: ConnectionStatus = {
    state: "CONNECTING",
    lastError: null,
    lastErrorAt: null,
    toolCount: 0,
    lastListedAt: null,
  };
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private nextAttemptAt = 0;
  private connecting?: Promise<void>;
  private stopped = false;
  private relisting?: Promise<void>;
  private relistAgain = false;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    readonly server: ResolvedServer,
    private readonly hooks: ConnectionHooks,
  ) {}

  current(): ConnectionStatus {
    return { ...this.status };
  }

  start(): Promise<void> {
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private setStatus(change: Partial<ConnectionStatus>) {
    this.status = { ...this.status, ...change };
    this.hooks.onStatus(this.server, this.current());
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus({ state: "CONNECTING" });
    let opened: OpenedClient | undefined;
    try {
      opened = await openClient(this.server.connection, { timeoutMs: CONNECT_TIMEOUT_MS });
      if (this.stopped) {
        await opened.client.close().catch(() => {});
        return;
      }
      this.opened = opened;
      const mine = opened;
      opened.client.onclose = () => {
        if (this.opened === mine) this.lost(new Error("the connection closed"));
      };
      opened.client.onerror = (error) => {
        if (this.opened === mine) this.transportError = describe(error);
      };
      opened.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        if (this.opened === mine) await this.relist().catch(() => {});
      });
      await this.listNow(opened.client);
      this.attempt = 0;
      this.setStatus({ state: "READY" });
    } catch (error) {
      if (opened && this.opened === opened) this.opened = undefined;
      await opened?.client.close().catch(() => {});
      this.fail(error);
    }
  }

  private transportError: string | null = null;

  private async listNow(client: Client) {
    const tools = await listAllTools(client, { timeoutMs: CONNECT_TIMEOUT_MS });
    await this.hooks.onListed(this.server, tools);
    this.setStatus({ toolCount: tools.length, lastListedAt: new Date() });
  }

  /** tools/list again (list_changed): one at a time, and once more if asked meanwhile. */
  relist(): Promise<void> {
    if (this.relisting) {
      this.relistAgain = true;
      return this.relisting;
    }
    this.relisting = (async () => {
      do {
        this.relistAgain = false;
        const client = this.opened?.client;
        if (!client) return;
        try {
          await this.listNow(client);
        } catch (error) {
          this.setStatus({ lastError: this.scrub(`tools/list failed: ${describe(error)}`), lastErrorAt: new Date() });
        }
      } while (this.relistAgain);
    })().finally(() => {
      this.relisting = undefined;
    });
    return this.relisting;
  }

  private scrub(message: string): string {
    return scrubMessage(message, this.server.secrets);
  }

  private fail(error: unknown) {
    if (this.stopped) return;
    const detail =
      this.transportError && !describe(error).includes(this.transportError) ? ` — ${this.transportError}` : "";
    this.transportError = null;
    this.setStatus({ state: "FAILED", lastError: this.scrub(`${describe(error)}${detail}`), lastErrorAt: new Date() });
    const delay = Math.min(BACKOFF_INITIAL_MS * 2 ** this.attempt, BACKOFF_MAX_MS);
    this.attempt += 1;
    this.nextAttemptAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.start(), delay);
    this.retryTimer.unref();
  }

  private lost(error: Error) {
    const opened = this.opened;
    this.opened = undefined;
    void opened?.client.close().catch(() => {});
    this.fail(error);
  }

  /** Waits for a connection in progress; a failed one is retried at once only when its backoff has passed. */
  private async ready(): Promise<Client> {
    if (this.stopped) throw new McpServerUnavailableError(`The MCP server ${this.server.name} is disabled.`);
    if (!this.opened && !this.connecting && this.status.state === "FAILED" && Date.now() >= this.nextAttemptAt) {
      clearTimeout(this.retryTimer);
      void this.start();
    }
    if (this.connecting) await this.connecting;
    const client = this.opened?.client;
    if (!client || this.status.state !== "READY") {
      throw new McpServerUnavailableError(
        `The MCP server ${this.server.name} is not available${this.status.lastError ? `: ${this.status.lastError}` : ""}. Nothing was sent to it.`,
      );
    }
    return client;
  }

  /**
   * One tools/call. A call that was sent and then lost (timeout, crash, closed connection)
   * may have taken effect: for a non-read call that is ToolOutcomeUnknownError.
   */
  async call(
    remoteName: string,
    args: Record<string, unknown>,
    options: { signal: AbortSignal; nonRead: boolean; timeoutMs?: number },
  ): Promise<unknown> {
    const client = await this.ready();
    const timeoutMs = options.timeoutMs ?? this.server.callTimeoutMs;
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal.reason);
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
    this.inFlight.add(controller);
    try {
      const result = (await client.callTool({ name: remoteName, arguments: args }, undefined, {
        signal: controller.signal,
        timeout: timeoutMs,
      })) as CallToolResult;
      return shapeResult(this.server.name, remoteName, result);
    } catch (error) {
      // The run was stopped: the engine says what that means for this call.
      if (options.signal.aborted) throw options.signal.reason ?? error;
      const lostMidCall =
        (error instanceof McpError &&
          (error.code === ErrorCode.RequestTimeout || error.code === ErrorCode.ConnectionClosed)) ||
        controller.signal.aborted;
      const message = this.scrub(
        error instanceof McpError && error.code === ErrorCode.RequestTimeout
          ? `The MCP server ${this.server.name} did not answer ${remoteName} within ${timeoutMs} ms`
          : `The MCP server ${this.server.name} failed on ${remoteName}: ${describe(error)}`,
      );
      if (lostMidCall && options.nonRead) throw new ToolOutcomeUnknownError(message, { cause: error });
      throw new Error(message, { cause: error });
    } finally {
      this.inFlight.delete(controller);
      options.signal.removeEventListener("abort", onAbort);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const opened = this.opened;
    this.opened = undefined;
    for (const controller of this.inFlight)
      controller.abort(new Error(`The MCP server ${this.server.name} was stopped`));
    await this.connecting?.catch(() => {});
    await opened?.client.close().catch(() => {});
    this.status = { ...this.status, state: "STOPPED" };
  }
}

type Content = CallToolResult["content"][number];

function shapeContent(item: Content, budget: { left: number }): unknown {
  if (item.type === "text") {
    const text =
      item.text.length > budget.left
        ? `${item.text.slice(0, Math.max(0, budget.left))}… [cut: the result was longer than ${RESULT_MAX_CHARS} characters]`
        : item.text;
    budget.left -= text.length;
    return { type: "text", text };
  }
  if (item.type === "image" || item.type === "audio") {
    // Binary content is not for the model's transcript: what it was, not its bytes.
    return {
      type: item.type,
      mimeType: item.mimeType,
      note: `${item.type} of ${item.data.length} base64 characters omitted`,
    };
  }
  if (item.type === "resource") {
    const resource = item.resource as { uri: string; mimeType?: string; text?: string; blob?: string };
    if (typeof resource.text === "string") {
      const text =
        resource.text.length > budget.left
          ? `${resource.text.slice(0, Math.max(0, budget.left))}… [cut]`
          : resource.text;
      budget.left -= text.length;
      return { type: "resource", uri: resource.uri, mimeType: resource.mimeType, text };
    }
    return { type: "resource", uri: resource.uri, mimeType: resource.mimeType, note: "binary content omitted" };
  }
  return item;
}

/** An error result becomes an error (its text says why); a result is kept as content, bounded. */
export function shapeResult(serverName: string, remoteName: string, result: CallToolResult): unknown {
  const budget = { left: RESULT_MAX_CHARS };
  const content = (Array.isArray(result.content) ? result.content : []).map((item) => shapeContent(item, budget));
  if (result.isError === true) {
    const text = content
      .map((item) => (item as { text?: string }).text)
      .filter((value): value is string => typeof value === "string")
      .join("\n")
      .slice(0, 2_000);
    throw new Error(`${serverName} reported an error from ${remoteName}: ${text || "(no details)"}`);
  }
  const shaped: Record<string, unknown> = { content };
  if (result.structuredContent !== undefined) {
    const size = JSON.stringify(result.structuredContent).length;
    shaped.structuredContent =
      size <= RESULT_MAX_CHARS
        ? result.structuredContent
        : { omitted: `structured content of ${size} characters exceeds the cap of ${RESULT_MAX_CHARS}` };
  }
  return shaped;
}
