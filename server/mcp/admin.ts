/**
 * What admins do with MCP servers, for the console's router: register (stdio or Streamable
 * HTTP, secret settings sealed like provider keys), edit, enable/disable, delete, test the
 * connection, list servers with every instance's live status and their tools, and confirm
 * a tool's class. Every change is one transaction: an optimistic-concurrency check on the
 * version the admin saw, the write, an audit event, and a NOTIFY that makes every
 * instance reconnect and reload before its next call.
 */
import { randomUUID } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import { sealSecret } from "../crypto/secret-box";
import { secretsKeyForAdminChange } from "../crypto/secrets-key";
import {
  type BearerChange,
  confirmMcpToolRow,
  deleteMcpServerRow,
  findMcpServerRow,
  findMcpServerWithSecrets,
  findMcpToolRow,
  insertMcpServer,
  isMcpServerNameTaken,
  listMcpServerRows,
  listMcpStatusRows,
  listMcpToolRows,
  type McpServerFields,
  type McpServerRow,
  type McpToolRow,
  notifyMcpConfigChanged,
  type StoredMcpSetting,
  setMcpServerEnabledRow,
  updateMcpServer as updateMcpServerRow,
} from "../db/mcp-servers";
import { bumpPolicyVersion } from "../db/policy";
import { inTransaction, type Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { McpConnectionState, McpServerInput } from "../shared/mcp-schemas";
import type { RiskClass } from "../shared/risk";
import { listAllTools, openClient } from "./connect";
import {
  definitionDiff,
  definitionOf,
  hintedClass,
  type McpToolConfirmation,
  namespacedToolNames,
  toolConfirmation,
} from "./definition";
import { afterMcpConfigChange } from "./lifecycle";
import { bearerLabel, lastFour, McpSettingsError, resolveServer, scrubMessage, sealSettings } from "./server-config";

function conflict(what: string): never {
  throw new AirlockError(
    "admin:conflict",
    `${what} was changed by someone else since you opened it. Reload to see their change, then try again.`,
  );
}

function notFound(): never {
  throw new AirlockError("admin:not-found", "This MCP server no longer exists.");
}

// ——— What the console shows ———

export interface McpSettingView {
  name: string;
  secret: boolean;
  /** A plain value as stored; a secret's value never leaves the server. */
  value: string | null;
  /** A secret's last four characters (when it is long enough to keep the rest secret). */
  maskedValue: string | null;
}

export interface McpInstanceStatusView {
  instanceId: string;
  state: McpConnectionState;
  lastError: string | null;
  lastErrorAt: Date | null;
  toolCount: number;
  lastListedAt: Date | null;
  updatedAt: Date;
}

export interface McpToolView {
  id: string;
  name: string;
  remoteName: string;
  description: string;
  inputSchema: unknown;
  outputSchema: unknown;
  annotations: unknown;
  definitionHash: string;
  /** What the server's annotations suggest (an untrusted hint), with why. */
  hintedClass: RiskClass;
  hintReasons: string[];
  confirmation: McpToolConfirmation;
  confirmedClass: RiskClass | null;
  confirmedBy: string | null;
  confirmedAt: Date | null;
  /** When the definition changed after it was first seen, and how (field → before/after). */
  changedAt: Date | null;
  diff: Record<string, { before: unknown; after: unknown }> | null;
  /** The server no longer lists it. */
  removed: boolean;
  firstSeenAt: Date;
  lastSeenAt: Date;
  version: number;
}

export interface McpServerView {
  id: string;
  name: string;
  transport: "STDIO" | "HTTP";
  command: string | null;
  args: string[];
  cwd: string | null;
  url: string | null;
  env: McpSettingView[];
  headers: McpSettingView[];
  maskedBearerToken: string | null;
  hasBearerToken: boolean;
  enabled: boolean;
  newToolMode: "NEEDS_APPROVAL" | "DISABLED";
  defaultRiskClass: RiskClass | null;
  callTimeoutMs: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
  /** One entry per instance that reported on this server, most recent first. */
  statuses: McpInstanceStatusView[];
  tools: McpToolView[];
  /** Tools waiting for an admin: never confirmed, or changed since. */
  unconfirmedToolCount: number;
}

function settingView(setting: StoredMcpSetting): McpSettingView {
  return setting.secret
    ? { name: setting.name, secret: true, value: null, maskedValue: setting.last4 ? `••••${setting.last4}` : "••••" }
    : { name: setting.name, secret: false, value: setting.value, maskedValue: null };
}

export function toolView(row: McpToolRow): McpToolView {
  const hint = hintedClass(row.annotations as Record<string, unknown> | null);
  const current = definitionOf({
    name: row.remoteName,
    description: row.description,
    inputSchema: row.inputSchema as Record<string, unknown>,
    ...(row.outputSchema ? { outputSchema: row.outputSchema as Record<string, unknown> } : {}),
    ...(row.annotations ? { annotations: row.annotations as Record<string, unknown> } : {}),
  });
  return {
    id: row.id,
    name: row.name,
    remoteName: row.remoteName,
    description: row.description,
    inputSchema: row.inputSchema,
    outputSchema: row.outputSchema,
    annotations: row.annotations,
    definitionHash: row.definitionHash,
    hintedClass: hint.riskClass,
    hintReasons: hint.reasons,
    confirmation: toolConfirmation(row),
    confirmedClass: row.confirmedClass,
    confirmedBy: row.confirmedBy,
    confirmedAt: row.confirmedAt,
    changedAt: row.changedAt,
    diff: row.previousDefinition
      ? definitionDiff(row.previousDefinition as Parameters<typeof definitionDiff>[0], current)
      : null,
    removed: row.removedAt !== null,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    version: row.version,
  };
}

function serverView(row: McpServerRow, statuses: McpInstanceStatusView[], tools: McpToolView[]): McpServerView {
  return {
    id: row.id,
    name: row.name,
    transport: row.transport,
    command: row.command,
    args: row.args,
    cwd: row.cwd,
    url: row.url,
    env: row.env.map(settingView),
    headers: row.headers.map(settingView),
    maskedBearerToken: row.bearerLast4 !== null ? `••••${row.bearerLast4}` : null,
    hasBearerToken: row.bearerLast4 !== null,
    enabled: row.enabled,
    newToolMode: row.newToolMode,
    defaultRiskClass: row.defaultRiskClass,
    callTimeoutMs: row.callTimeoutMs,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
    statuses,
    tools,
    unconfirmedToolCount: tools.filter((tool) => !tool.removed && tool.confirmation !== "confirmed").length,
  };
}

/** Every server with every instance's status and its tools (those no longer listed included, marked). */
export async function listMcpServers(): Promise<McpServerView[]> {
  const [rows, statuses, tools] = await Promise.all([listMcpServerRows(), listMcpStatusRows(), listMcpToolRows()]);
  return rows.map((row) =>
    serverView(
      row,
      statuses
        .filter((status) => status.serverId === row.id)
        .map(({ serverId: _serverId, ...status }) => ({ ...status, state: status.state as McpConnectionState })),
      tools.filter((tool) => tool.serverId === row.id).map(toolView),
    ),
  );
}

export async function getMcpServer(options: { serverId: string }): Promise<McpServerView> {
  const found = (await listMcpServers()).find((server) => server.id === options.serverId);
  if (!found) notFound();
  return found;
}

// ——— Changes ———

function fieldsOf(options: { serverId: string; input: McpServerInput; stored: McpServerRow | null }): {
  fields: McpServerFields;
  bearer: BearerChange;
} {
  const { input, stored, serverId } = options;
  try {
    const common = {
      name: input.name,
      enabled: input.enabled,
      newToolMode: input.newToolMode,
      defaultRiskClass: input.defaultRiskClass,
      callTimeoutMs: input.callTimeoutMs,
    };
    if (input.transport === "STDIO") {
      return {
        fields: {
          ...common,
          transport: "STDIO",
          command: input.command,
          args: input.args,
          cwd: input.cwd,
          url: null,
          env: sealSettings({ serverId, kind: "env", input: input.env, stored: stored?.env ?? [] }),
          headers: [],
        },
        // A stdio server has no bearer token: switching transport forgets it.
        bearer: stored?.bearerLast4 !== null && stored !== null ? { kind: "clear" } : { kind: "keep" },
      };
    }
    const bearer: BearerChange =
      input.bearerToken.action === "set"
        ? {
            kind: "set",
            sealed: sealSecret(secretsKeyForAdminChange(), bearerLabel(serverId), input.bearerToken.value),
            last4: lastFour(input.bearerToken.value),
          }
        : input.bearerToken.action === "clear"
          ? { kind: "clear" }
          : { kind: "keep" };
    return {
      fields: {
        ...common,
        transport: "HTTP",
        command: null,
        args: [],
        cwd: null,
        url: input.url,
        env: [],
        headers: sealSettings({ serverId, kind: "header", input: input.headers, stored: stored?.headers ?? [] }),
      },
      bearer,
    };
  } catch (error) {
    if (error instanceof McpSettingsError) throw new AirlockError("admin:invalid", error.message);
    throw error;
  }
}

/** What the audit log keeps of a server: settings by name, never a secret's value. */
function auditedFields(fields: McpServerFields | McpServerRow) {
  return {
    name: fields.name,
    transport: fields.transport,
    command: fields.command,
    args: fields.args,
    cwd: fields.cwd,
    url: fields.url,
    env: fields.env.map((setting) => (setting.secret ? { name: setting.name, secret: true } : setting)),
    headers: fields.headers.map((setting) => ({ name: setting.name, secret: setting.secret })),
    enabled: fields.enabled,
    newToolMode: fields.newToolMode,
    defaultRiskClass: fields.defaultRiskClass,
    callTimeoutMs: fields.callTimeoutMs,
  };
}

async function ensureNameFree(tx: Transaction, name: string, exceptId?: string) {
  if (await isMcpServerNameTaken(tx, name, exceptId)) {
    throw new AirlockError("admin:invalid", `Another MCP server is already named ${name}: names must be unique.`);
  }
}

export async function createMcpServer(options: { input: McpServerInput; actorId: string }): Promise<{ id: string }> {
  const id = randomUUID();
  const { fields, bearer } = fieldsOf({ serverId: id, input: options.input, stored: null });
  await inTransaction(async (tx) => {
    await ensureNameFree(tx, fields.name);
    if (!(await insertMcpServer(tx, { id, fields, bearer, updatedBy: options.actorId }))) {
      // The name check passed, so someone created the same name in the meantime.
      throw new AirlockError("admin:conflict", `Another MCP server named ${fields.name} was just registered.`);
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "mcp.server-registered",
      targetType: "mcp-server",
      targetId: id,
      data: { after: auditedFields(fields), bearerToken: bearer.kind === "set" },
    });
    await notifyMcpConfigChanged(tx, id);
  });
  await afterMcpConfigChange();
  return { id };
}

export async function updateMcpServer(options: {
  serverId: string;
  expectedVersion: number;
  input: McpServerInput;
  actorId: string;
}): Promise<void> {
  const stored = await findMcpServerRow(options.serverId);
  if (!stored) notFound();
  if (stored.name !== options.input.name && (await listMcpToolRows()).some((tool) => tool.serverId === stored.id)) {
    // The name is the namespace of tools that approvals, rules and transcripts refer to.
    throw new AirlockError(
      "admin:invalid",
      `${stored.name} has listed tools under its name; register a new server to use another name.`,
    );
  }
  const { fields, bearer } = fieldsOf({ serverId: stored.id, input: options.input, stored });
  await inTransaction(async (tx) => {
    await ensureNameFree(tx, fields.name, stored.id);
    if (
      !(await updateMcpServerRow(tx, {
        id: stored.id,
        expectedVersion: options.expectedVersion,
        fields,
        bearer,
        updatedBy: options.actorId,
      }))
    ) {
      conflict(`The MCP server ${stored.name}`);
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "mcp.server-changed",
      targetType: "mcp-server",
      targetId: stored.id,
      data: { before: auditedFields(stored), after: auditedFields(fields), bearerTokenChange: bearer.kind },
    });
    await notifyMcpConfigChanged(tx, stored.id);
  });
  await afterMcpConfigChange();
}

export async function setMcpServerEnabled(options: {
  serverId: string;
  expectedVersion: number;
  enabled: boolean;
  actorId: string;
}): Promise<void> {
  await inTransaction(async (tx) => {
    const before = await findMcpServerRow(options.serverId, tx);
    if (!before) notFound();
    if (
      !(await setMcpServerEnabledRow(tx, {
        id: options.serverId,
        expectedVersion: options.expectedVersion,
        enabled: options.enabled,
        updatedBy: options.actorId,
      }))
    ) {
      conflict(`The MCP server ${before.name}`);
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: options.enabled ? "mcp.server-enabled" : "mcp.server-disabled",
      targetType: "mcp-server",
      targetId: options.serverId,
      data: { name: before.name, before: before.enabled, after: options.enabled },
    });
    await notifyMcpConfigChanged(tx, options.serverId);
  });
  await afterMcpConfigChange();
}

/** Removes the server and its tools: calls to them are refused as unknown tools from then on. */
export async function deleteMcpServer(options: {
  serverId: string;
  expectedVersion: number;
  actorId: string;
}): Promise<void> {
  await inTransaction(async (tx) => {
    const before = await findMcpServerRow(options.serverId, tx);
    if (!before) notFound();
    if (!(await deleteMcpServerRow(tx, options.serverId, options.expectedVersion))) {
      conflict(`The MCP server ${before.name}`);
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "mcp.server-deleted",
      targetType: "mcp-server",
      targetId: options.serverId,
      data: { before: auditedFields(before) },
    });
    await notifyMcpConfigChanged(tx, options.serverId);
  });
  await afterMcpConfigChange();
}

export const MCP_CONNECTION_TEST_TIMEOUT_MS = 15_000;

export interface McpConnectionTestResult {
  ok: boolean;
  latencyMs: number;
  message: string;
  /** The server's name and version from initialize. */
  serverInfo: { name: string; version: string } | null;
  /** What the server lists right now, as Airlock would name them (nothing is stored by a test). */
  tools: { remoteName: string; name: string; description: string; hintedClass: RiskClass }[];
}

/** Connects with the saved settings (a fresh connection, then closed), initializes and lists tools. */
export async function testMcpServerConnection(options: { serverId: string }): Promise<McpConnectionTestResult> {
  const row = await findMcpServerWithSecrets(options.serverId);
  if (!row) notFound();
  const started = Date.now();
  let secrets: string[] = [];
  let opened: Awaited<ReturnType<typeof openClient>> | undefined;
  try {
    const server = resolveServer(row);
    secrets = server.secrets;
    const signal = AbortSignal.timeout(MCP_CONNECTION_TEST_TIMEOUT_MS);
    opened = await openClient(server.connection, { timeoutMs: MCP_CONNECTION_TEST_TIMEOUT_MS, signal });
    const listed = await listAllTools(opened.client, { timeoutMs: MCP_CONNECTION_TEST_TIMEOUT_MS, signal });
    const names = namespacedToolNames(
      row.name,
      listed.map((tool) => tool.name),
    );
    const latencyMs = Date.now() - started;
    const info = opened.client.getServerVersion();
    return {
      ok: true,
      latencyMs,
      message: `Connected in ${latencyMs} ms; ${listed.length} tool${listed.length === 1 ? "" : "s"} listed.`,
      serverInfo: info ? { name: info.name, version: info.version } : null,
      tools: listed.map((tool) => ({
        remoteName: tool.name,
        name: names.get(tool.name) ?? tool.name,
        description: tool.description ?? "",
        hintedClass: hintedClass(tool.annotations as Record<string, unknown> | undefined).riskClass,
      })),
    };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Date.now() - started,
      message: scrubMessage(error instanceof Error ? error.message : String(error), secrets),
      serverInfo: null,
      tools: [],
    };
  } finally {
    await opened?.client.close().catch(() => {});
  }
}

/**
 * An admin confirms the class of a tool as it is defined now (bound to its definition
 * hash): the tool stops needing approval for being new or changed, and runs as that class.
 * Like any class change it is a new policy version. READ lets every call run with no
 * human in the loop, on the word of an untrusted server's definition, so choosing it for a
 * new or changed tool, or for one confirmed as another class, must be typed out:
 * `confirmation` is the tool's namespaced name (checked against the row read in the same
 * transaction, not against anything the client says the tool is called).
 */
export async function confirmMcpTool(options: {
  toolId: string;
  expectedVersion: number;
  riskClass: RiskClass;
  confirmation?: string;
  actorId: string;
}): Promise<void> {
  await inTransaction(async (tx) => {
    const tool = await findMcpToolRow(options.toolId, tx);
    if (!tool) throw new AirlockError("admin:not-found", "This tool no longer exists.");
    const alreadyRead = toolConfirmation(tool) === "confirmed" && tool.confirmedClass === "READ";
    if (options.riskClass === "READ" && !alreadyRead && options.confirmation !== tool.name) {
      throw new AirlockError(
        "admin:confirmation-required",
        `As READ, ${tool.name} runs with no human approval. Type its name (${tool.name}) to confirm.`,
      );
    }
    if (
      !(await confirmMcpToolRow(tx, {
        id: tool.id,
        expectedVersion: options.expectedVersion,
        definitionHash: tool.definitionHash,
        riskClass: options.riskClass,
        confirmedBy: options.actorId,
      }))
    ) {
      conflict(`The tool ${tool.name}`);
    }
    const policyVersion = await bumpPolicyVersion(tx, options.actorId);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "mcp.tool-confirmed",
      targetType: "mcp-tool",
      targetId: tool.name,
      data: {
        serverId: tool.serverId,
        remoteName: tool.remoteName,
        definitionHash: tool.definitionHash,
        before: { confirmation: toolConfirmation(tool), confirmedClass: tool.confirmedClass },
        after: options.riskClass,
        hintedClass: hintedClass(tool.annotations as Record<string, unknown> | null).riskClass,
        policyVersion,
      },
    });
    await notifyMcpConfigChanged(tx, tool.serverId);
  });
  await afterMcpConfigChange();
}
