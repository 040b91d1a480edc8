/**
 * Admin: MCP servers — register (stdio or Streamable HTTP), edit, enable/disable, delete,
 * test the connection, the live status per instance, and the tools each server lists with
 * their class ("new — confirm class", "definition changed" with the diff). The services in
 * server/mcp/admin.ts do the work; this router validates, authorizes (adminProcedure) and
 * shapes what goes back: a secret's value — nor any part of it — never leaves the server,
 * only whether it is set.
 */
import { z } from "zod";
import {
  confirmMcpTool,
  createMcpServer,
  deleteMcpServer,
  listMcpServers,
  type McpServerView,
  type McpSettingView,
  setMcpServerEnabled,
  testMcpServerConnection,
  updateMcpServer,
} from "../../../mcp/admin";
import {
  MCP_CONNECTION_STATES,
  MCP_NEW_TOOL_MODES,
  MCP_TRANSPORTS,
  mcpServerInputSchema,
} from "../../../shared/mcp-schemas";
import { RISK_CLASSES } from "../../../shared/risk";
import { int32, recordId, text } from "../../../shared/text";
import { adminProcedure, router } from "../../trpc";

const riskClass = z.enum(RISK_CLASSES);

const setting = z.object({
  name: z.string(),
  secret: z.boolean(),
  /** A plain value; null for a secret. */
  value: z.string().nullable(),
  /** A secret is stored (its value is never sent). */
  set: z.boolean(),
});

const instanceStatus = z.object({
  instanceId: z.string(),
  state: z.enum(MCP_CONNECTION_STATES),
  lastError: z.string().nullable(),
  lastErrorAt: z.date().nullable(),
  toolCount: z.number(),
  lastListedAt: z.date().nullable(),
  updatedAt: z.date(),
});

const change = z.object({ before: z.unknown(), after: z.unknown() });

const tool = z.object({
  id: z.string(),
  name: z.string(),
  remoteName: z.string(),
  description: z.string(),
  inputSchema: z.unknown(),
  outputSchema: z.unknown(),
  annotations: z.unknown(),
  hintedClass: riskClass,
  hintReasons: z.array(z.string()),
  confirmation: z.enum(["confirmed", "new", "changed"]),
  confirmedClass: riskClass.nullable(),
  confirmedAt: z.date().nullable(),
  changedAt: z.date().nullable(),
  diff: z.record(z.string(), change).nullable(),
  removed: z.boolean(),
  firstSeenAt: z.date(),
  lastSeenAt: z.date(),
  version: z.number(),
});

const server = z.object({
  id: z.string(),
  name: z.string(),
  transport: z.enum(MCP_TRANSPORTS),
  command: z.string().nullable(),
  args: z.array(z.string()),
  cwd: z.string().nullable(),
  url: z.string().nullable(),
  env: z.array(setting),
  headers: z.array(setting),
  hasBearerToken: z.boolean(),
  enabled: z.boolean(),
  newToolMode: z.enum(MCP_NEW_TOOL_MODES),
  defaultRiskClass: riskClass.nullable(),
  callTimeoutMs: z.number(),
  version: z.number(),
  updatedAt: z.date(),
  statuses: z.array(instanceStatus),
  tools: z.array(tool),
  unconfirmedToolCount: z.number(),
});
export type AdminMcpServer = z.infer<typeof server>;

/** What the browser gets of a setting: a secret's value, and its last characters, stay here. */
function settingOut(view: McpSettingView): z.infer<typeof setting> {
  return view.secret
    ? { name: view.name, secret: true, value: null, set: true }
    : { name: view.name, secret: false, value: view.value, set: view.value !== null };
}

function serverOut(view: McpServerView): AdminMcpServer {
  return {
    id: view.id,
    name: view.name,
    transport: view.transport,
    command: view.command,
    args: view.args,
    cwd: view.cwd,
    url: view.url,
    env: view.env.map(settingOut),
    headers: view.headers.map(settingOut),
    hasBearerToken: view.hasBearerToken,
    enabled: view.enabled,
    newToolMode: view.newToolMode,
    defaultRiskClass: view.defaultRiskClass,
    callTimeoutMs: view.callTimeoutMs,
    version: view.version,
    updatedAt: view.updatedAt,
    statuses: view.statuses,
    tools: view.tools.map(({ definitionHash: _hash, confirmedBy: _by, ...rest }) => rest),
    unconfirmedToolCount: view.unconfirmedToolCount,
  };
}

const serverRef = { serverId: recordId, expectedVersion: int32() };
const ok = z.object({ ok: z.literal(true) });

export const adminMcpServersRouter = router({
  list: adminProcedure.output(z.array(server)).query(async () => (await listMcpServers()).map(serverOut)),
  create: adminProcedure
    .input(mcpServerInputSchema)
    .output(z.object({ id: z.string() }))
    .mutation(({ ctx, input }) => createMcpServer({ input, actorId: ctx.user.id })),
  update: adminProcedure
    .input(z.object({ ...serverRef, server: mcpServerInputSchema }))
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await updateMcpServer({
        serverId: input.serverId,
        expectedVersion: input.expectedVersion,
        input: input.server,
        actorId: ctx.user.id,
      });
      return { ok: true as const };
    }),
  setEnabled: adminProcedure
    .input(z.object({ ...serverRef, enabled: z.boolean() }))
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await setMcpServerEnabled({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  delete: adminProcedure
    .input(z.object(serverRef))
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await deleteMcpServer({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  testConnection: adminProcedure
    .input(z.object({ serverId: recordId }))
    .output(
      z.object({
        ok: z.boolean(),
        latencyMs: z.number(),
        message: z.string(),
        serverInfo: z.object({ name: z.string(), version: z.string() }).nullable(),
        tools: z.array(
          z.object({ remoteName: z.string(), name: z.string(), description: z.string(), hintedClass: riskClass }),
        ),
      }),
    )
    .mutation(({ input }) => testMcpServerConnection({ serverId: input.serverId })),
  confirmTool: adminProcedure
    .input(
      z.object({
        toolId: recordId,
        expectedVersion: int32(),
        riskClass,
        /** The tool's namespaced name, typed by the admin; required for READ (the service checks it). */
        confirmation: text(200).optional(),
      }),
    )
    .output(ok)
    .mutation(async ({ ctx, input }) => {
      await confirmMcpTool({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
});
