/**
 * MCP server rows (their secret settings only as AES-256-GCM ciphertext, opened by
 * server/mcp), the tools they listed with their definition hashes and confirmations, and
 * each instance's connection status. Every configuration write names the version the
 * admin saw and tells every instance to reconnect.
 */
import { db } from "./client";
import type { McpConnectionState, Prisma, RiskClass } from "./generated/client";
import type { SealedSecret } from "./secrets";
import type { Transaction } from "./transaction";

export const MCP_CONFIG_CHANNEL = "airlock_mcp";

/** A sealed value in a JSON column: base64 fields. */
export interface StoredSealed {
  ciphertext: string;
  iv: string;
  authTag: string;
}

/** One env variable or header as stored: plain values in clear, secrets sealed (with their last four characters for display). */
export type StoredMcpSetting =
  | { name: string; secret: false; value: string }
  | { name: string; secret: true; sealed: StoredSealed; last4: string };

export function toStoredSealed(sealed: SealedSecret): StoredSealed {
  return {
    ciphertext: Buffer.from(sealed.ciphertext).toString("base64"),
    iv: Buffer.from(sealed.iv).toString("base64"),
    authTag: Buffer.from(sealed.authTag).toString("base64"),
  };
}

export function fromStoredSealed(stored: StoredSealed): SealedSecret {
  return {
    ciphertext: Buffer.from(stored.ciphertext, "base64"),
    iv: Buffer.from(stored.iv, "base64"),
    authTag: Buffer.from(stored.authTag, "base64"),
  };
}

function storedSettings(value: Prisma.JsonValue): StoredMcpSetting[] {
  return Array.isArray(value) ? (value as unknown as StoredMcpSetting[]) : [];
}

const mcpServerSelect = {
  id: true,
  name: true,
  transport: true,
  command: true,
  args: true,
  cwd: true,
  url: true,
  env: true,
  headers: true,
  bearerLast4: true,
  enabled: true,
  newToolMode: true,
  defaultRiskClass: true,
  callTimeoutMs: true,
  version: true,
  createdAt: true,
  updatedAt: true,
  updatedBy: true,
} satisfies Prisma.McpServerSelect;

const mcpServerWithSecretsSelect = {
  ...mcpServerSelect,
  bearerCiphertext: true,
  bearerIv: true,
  bearerAuthTag: true,
} satisfies Prisma.McpServerSelect;

type McpServerSelected = Prisma.McpServerGetPayload<{ select: typeof mcpServerSelect }>;

export interface McpServerRow extends Omit<McpServerSelected, "env" | "headers"> {
  env: StoredMcpSetting[];
  headers: StoredMcpSetting[];
}

export interface McpServerWithSecretsRow extends McpServerRow {
  sealedBearer: SealedSecret | null;
}

function toRow(row: McpServerSelected): McpServerRow {
  return { ...row, env: storedSettings(row.env), headers: storedSettings(row.headers) };
}

function toRowWithSecrets(
  row: Prisma.McpServerGetPayload<{ select: typeof mcpServerWithSecretsSelect }>,
): McpServerWithSecretsRow {
  const { bearerCiphertext, bearerIv, bearerAuthTag, ...rest } = row;
  return {
    ...toRow(rest),
    sealedBearer:
      bearerCiphertext && bearerIv && bearerAuthTag
        ? { ciphertext: bearerCiphertext, iv: bearerIv, authTag: bearerAuthTag }
        : null,
  };
}

export async function listMcpServerRows(tx: Transaction = db()): Promise<McpServerRow[]> {
  const rows = await tx.mcpServer.findMany({ orderBy: { name: "asc" }, select: mcpServerSelect });
  return rows.map(toRow);
}

export async function findMcpServerRow(id: string, tx: Transaction = db()): Promise<McpServerRow | null> {
  const row = await tx.mcpServer.findUnique({ where: { id }, select: mcpServerSelect });
  return row ? toRow(row) : null;
}

/** For the connection manager only: the sealed bearer token, opened by server/mcp. */
export async function listMcpServersWithSecrets(): Promise<McpServerWithSecretsRow[]> {
  const rows = await db().mcpServer.findMany({ orderBy: { name: "asc" }, select: mcpServerWithSecretsSelect });
  return rows.map(toRowWithSecrets);
}

export async function findMcpServerWithSecrets(id: string): Promise<McpServerWithSecretsRow | null> {
  const row = await db().mcpServer.findUnique({ where: { id }, select: mcpServerWithSecretsSelect });
  return row ? toRowWithSecrets(row) : null;
}

export type BearerChange = { kind: "keep" } | { kind: "clear" } | { kind: "set"; sealed: SealedSecret; last4: string };

function bearerColumns(change: BearerChange) {
  if (change.kind === "keep") return {};
  if (change.kind === "clear")
    return { bearerCiphertext: null, bearerIv: null, bearerAuthTag: null, bearerLast4: null };
  return {
    bearerCiphertext: Buffer.from(change.sealed.ciphertext),
    bearerIv: Buffer.from(change.sealed.iv),
    bearerAuthTag: Buffer.from(change.sealed.authTag),
    bearerLast4: change.last4,
  };
}

export interface McpServerFields {
  name: string;
  transport: "STDIO" | "HTTP";
  command: string | null;
  args: string[];
  cwd: string | null;
  url: string | null;
  env: StoredMcpSetting[];
  headers: StoredMcpSetting[];
  enabled: boolean;
  newToolMode: "NEEDS_APPROVAL" | "DISABLED";
  defaultRiskClass: RiskClass | null;
  callTimeoutMs: number;
}

function columns(fields: McpServerFields, bearer: BearerChange, updatedBy: string) {
  return {
    ...fields,
    env: fields.env as unknown as Prisma.InputJsonValue,
    headers: fields.headers as unknown as Prisma.InputJsonValue,
    ...bearerColumns(bearer),
    updatedBy,
    updatedAt: new Date(),
  };
}

/** False when the name is taken (ON CONFLICT DO NOTHING: a race with another admin is a conflict, not an error). */
export async function insertMcpServer(
  tx: Transaction,
  input: { id: string; fields: McpServerFields; bearer: BearerChange; updatedBy: string },
): Promise<boolean> {
  const created = await tx.mcpServer.createMany({
    data: [{ id: input.id, ...columns(input.fields, input.bearer, input.updatedBy) }],
    skipDuplicates: true,
  });
  return created.count === 1;
}

/** False when the row is no longer at the version the admin saw (or is gone). */
export async function updateMcpServer(
  tx: Transaction,
  input: { id: string; expectedVersion: number; fields: McpServerFields; bearer: BearerChange; updatedBy: string },
): Promise<boolean> {
  const updated = await tx.mcpServer.updateMany({
    where: { id: input.id, version: input.expectedVersion },
    data: { ...columns(input.fields, input.bearer, input.updatedBy), version: { increment: 1 } },
  });
  return updated.count === 1;
}

export async function setMcpServerEnabledRow(
  tx: Transaction,
  input: { id: string; expectedVersion: number; enabled: boolean; updatedBy: string },
): Promise<boolean> {
  const updated = await tx.mcpServer.updateMany({
    where: { id: input.id, version: input.expectedVersion },
    data: { enabled: input.enabled, updatedBy: input.updatedBy, updatedAt: new Date(), version: { increment: 1 } },
  });
  return updated.count === 1;
}

export async function deleteMcpServerRow(tx: Transaction, id: string, expectedVersion: number): Promise<boolean> {
  const deleted = await tx.mcpServer.deleteMany({ where: { id, version: expectedVersion } });
  return deleted.count === 1;
}

/** A name another server's tools already use (exactly, or sanitized the same), other than `exceptId`. */
export async function isMcpServerNameTaken(tx: Transaction, name: string, exceptId?: string): Promise<boolean> {
  const found = await tx.mcpServer.findFirst({
    where: { name, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true },
  });
  return found !== null;
}

/** Inside the writing transaction: delivered to every instance when it commits. */
export async function notifyMcpConfigChanged(tx: Transaction, serverId: string): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${MCP_CONFIG_CHANNEL}', $1)`, serverId);
}

/** Changes whenever any server row or tool row changes (or one is removed). */
export async function readMcpFingerprint(): Promise<string> {
  const rows = await db().$queryRawUnsafe<{ fingerprint: string | null }[]>(
    `SELECT concat_ws('|',
       (SELECT string_agg(id || ':' || version::text, ',' ORDER BY id) FROM "McpServer"),
       (SELECT string_agg(id || ':' || version::text, ',' ORDER BY id) FROM "McpTool")
     ) AS fingerprint`,
  );
  return rows[0]?.fingerprint ?? "";
}

// ——— Tools ———

export const mcpToolSelect = {
  id: true,
  serverId: true,
  remoteName: true,
  name: true,
  description: true,
  inputSchema: true,
  outputSchema: true,
  annotations: true,
  definitionHash: true,
  confirmedHash: true,
  confirmedClass: true,
  confirmedBy: true,
  confirmedAt: true,
  changedAt: true,
  previousDefinition: true,
  removedAt: true,
  firstSeenAt: true,
  lastSeenAt: true,
  version: true,
} satisfies Prisma.McpToolSelect;

export type McpToolRow = Prisma.McpToolGetPayload<{ select: typeof mcpToolSelect }>;

export function listMcpToolRows(tx: Transaction = db()): Promise<McpToolRow[]> {
  return tx.mcpTool.findMany({ orderBy: { name: "asc" }, select: mcpToolSelect });
}

export function listMcpToolRowsOfServer(serverId: string, tx: Transaction = db()): Promise<McpToolRow[]> {
  return tx.mcpTool.findMany({ where: { serverId }, orderBy: { name: "asc" }, select: mcpToolSelect });
}

export function findMcpToolRow(id: string, tx: Transaction = db()): Promise<McpToolRow | null> {
  return tx.mcpTool.findUnique({ where: { id }, select: mcpToolSelect });
}

/** What a listing says of one tool (the definition the hash covers). */
export interface McpToolDefinition {
  remoteName: string;
  name: string;
  description: string;
  inputSchema: Prisma.InputJsonValue;
  outputSchema: Prisma.InputJsonValue | null;
  annotations: Prisma.InputJsonValue | null;
  definitionHash: string;
}

/** Takes the server's row lock: listings of one server by several instances are applied one at a time. */
export async function lockMcpServer(tx: Transaction, serverId: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT id FROM "McpServer" WHERE id = $1 FOR UPDATE`,
    serverId,
  );
  return rows.length === 1;
}

export async function insertMcpTool(tx: Transaction, serverId: string, definition: McpToolDefinition) {
  await tx.mcpTool.create({
    data: {
      serverId,
      ...definition,
      outputSchema: definition.outputSchema ?? undefined,
      annotations: definition.annotations ?? undefined,
    },
    select: { id: true },
  });
}

/** A known tool listed again with a different definition: the old one is kept for the diff. */
export async function replaceMcpToolDefinition(
  tx: Transaction,
  input: { id: string; definition: McpToolDefinition; previous: Prisma.InputJsonValue },
) {
  await tx.mcpTool.update({
    where: { id: input.id },
    data: {
      ...input.definition,
      outputSchema: input.definition.outputSchema ?? undefined,
      annotations: input.definition.annotations ?? undefined,
      previousDefinition: input.previous,
      changedAt: new Date(),
      lastSeenAt: new Date(),
      removedAt: null,
      version: { increment: 1 },
    },
    select: { id: true },
  });
}

export async function markMcpToolsSeen(tx: Transaction, ids: string[]) {
  if (ids.length === 0) return;
  // A tool listed again after it had gone away is back: its version moves so every instance reloads it.
  await tx.mcpTool.updateMany({
    where: { id: { in: ids }, removedAt: { not: null } },
    data: { removedAt: null, version: { increment: 1 } },
  });
  await tx.mcpTool.updateMany({ where: { id: { in: ids } }, data: { lastSeenAt: new Date() } });
}

export async function markMcpToolsRemoved(tx: Transaction, ids: string[]) {
  if (ids.length === 0) return;
  await tx.mcpTool.updateMany({
    where: { id: { in: ids }, removedAt: null },
    data: { removedAt: new Date(), version: { increment: 1 } },
  });
}

/** Binds the admin's class to the definition hash they saw; false when the tool moved on since. */
export async function confirmMcpToolRow(
  tx: Transaction,
  input: { id: string; expectedVersion: number; definitionHash: string; riskClass: RiskClass; confirmedBy: string },
): Promise<boolean> {
  const updated = await tx.mcpTool.updateMany({
    where: { id: input.id, version: input.expectedVersion, definitionHash: input.definitionHash },
    data: {
      confirmedHash: input.definitionHash,
      confirmedClass: input.riskClass,
      confirmedBy: input.confirmedBy,
      confirmedAt: new Date(),
      version: { increment: 1 },
    },
  });
  return updated.count === 1;
}

// ——— Status per instance ———

export const mcpStatusSelect = {
  serverId: true,
  instanceId: true,
  state: true,
  lastError: true,
  lastErrorAt: true,
  toolCount: true,
  lastListedAt: true,
  updatedAt: true,
} satisfies Prisma.McpServerStatusSelect;

export type McpStatusRow = Prisma.McpServerStatusGetPayload<{ select: typeof mcpStatusSelect }>;

export function listMcpStatusRows(): Promise<McpStatusRow[]> {
  return db().mcpServerStatus.findMany({ orderBy: { updatedAt: "desc" }, select: mcpStatusSelect });
}

export async function writeMcpStatus(input: {
  serverId: string;
  instanceId: string;
  state: McpConnectionState;
  lastError?: string | null;
  lastErrorAt?: Date | null;
  toolCount?: number;
  lastListedAt?: Date | null;
}): Promise<void> {
  const fields = {
    state: input.state,
    ...(input.lastError !== undefined ? { lastError: input.lastError } : {}),
    ...(input.lastErrorAt !== undefined ? { lastErrorAt: input.lastErrorAt } : {}),
    ...(input.toolCount !== undefined ? { toolCount: input.toolCount } : {}),
    ...(input.lastListedAt !== undefined ? { lastListedAt: input.lastListedAt } : {}),
    updatedAt: new Date(),
  };
  // The server may have been deleted meanwhile: a status for it is then simply dropped.
  const exists = await db().mcpServer.findUnique({ where: { id: input.serverId }, select: { id: true } });
  if (!exists) return;
  await db()
    .mcpServerStatus.upsert({
      where: { serverId_instanceId: { serverId: input.serverId, instanceId: input.instanceId } },
      create: { serverId: input.serverId, instanceId: input.instanceId, ...fields },
      update: fields,
      select: { serverId: true },
    })
    .catch((error: { code?: string }) => {
      // P2003: the server row went away between the check and the write.
      if (error.code !== "P2003") throw error;
    });
}

export async function deleteMcpStatusesOfInstance(instanceId: string): Promise<void> {
  await db().mcpServerStatus.deleteMany({ where: { instanceId } });
}

/** Requests still waiting for a reviewer on a tool: voided when its definition changes. */
export function listPendingApprovalsOfTool(tx: Transaction, toolName: string) {
  return tx.approvalRequest.findMany({
    where: { toolName, status: "PENDING" },
    select: { id: true, toolCallId: true, runId: true },
  });
}
