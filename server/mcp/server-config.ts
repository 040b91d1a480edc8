/**
 * A server's stored settings opened for connecting: secret env values, secret headers and
 * the bearer token decrypted under SECRETS_KEY. Each sealed value's associated data names
 * its server and setting, so a ciphertext copied elsewhere fails to open.
 */
import { openSecret, sealSecret } from "../crypto/secret-box";
import { secretsKeyForAdminChange, secretsKeyFromEnv } from "../crypto/secrets-key";
import {
  fromStoredSealed,
  type McpServerWithSecretsRow,
  type StoredMcpSetting,
  toStoredSealed,
} from "../db/mcp-servers";
import type { McpSettingInput } from "../shared/mcp-schemas";

export type SettingKind = "env" | "header";

export function settingLabel(serverId: string, kind: SettingKind, name: string): string {
  return `mcp:${serverId}:${kind}:${name}`;
}

export function bearerLabel(serverId: string): string {
  return `mcp:${serverId}:bearer`;
}

export function lastFour(value: string): string {
  return value.length >= 8 ? value.slice(-4) : "";
}

export class McpSettingsError extends Error {}

/**
 * The settings to store for what the admin sent: plain values as they are, secret values
 * sealed, and a secret sent without a value keeps what was stored under that name.
 */
export function sealSettings(options: {
  serverId: string;
  kind: SettingKind;
  input: McpSettingInput[];
  stored: StoredMcpSetting[];
}): StoredMcpSetting[] {
  const seen = new Set<string>();
  return options.input.map((setting) => {
    if (seen.has(setting.name)) throw new McpSettingsError(`${setting.name} is set twice.`);
    seen.add(setting.name);
    if (!setting.secret) {
      if (setting.value === undefined) throw new McpSettingsError(`${setting.name} needs a value.`);
      return { name: setting.name, secret: false, value: setting.value };
    }
    if (setting.value === undefined) {
      const kept = options.stored.find((stored) => stored.name === setting.name && stored.secret);
      if (!kept) throw new McpSettingsError(`The secret ${setting.name} has no stored value: enter one.`);
      return kept;
    }
    const sealed = sealSecret(
      secretsKeyForAdminChange(),
      settingLabel(options.serverId, options.kind, setting.name),
      setting.value,
    );
    return { name: setting.name, secret: true, sealed: toStoredSealed(sealed), last4: lastFour(setting.value) };
  });
}

function openSettings(serverId: string, kind: SettingKind, settings: StoredMcpSetting[]): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const setting of settings) {
    opened[setting.name] = setting.secret
      ? openSecret(secretsKeyFromEnv(), settingLabel(serverId, kind, setting.name), fromStoredSealed(setting.sealed))
      : setting.value;
  }
  return opened;
}

export type ConnectionConfig =
  | { transport: "STDIO"; command: string; args: string[]; cwd: string | null; env: Record<string, string> }
  | { transport: "HTTP"; url: string; headers: Record<string, string> };

export interface ResolvedServer {
  id: string;
  name: string;
  version: number;
  enabled: boolean;
  newToolMode: "NEEDS_APPROVAL" | "DISABLED";
  defaultRiskClass: McpServerWithSecretsRow["defaultRiskClass"];
  callTimeoutMs: number;
  connection: ConnectionConfig;
  /** Every secret value of this server: scrubbed from error messages before they are shown or stored. */
  secrets: string[];
}

/** Throws (SecretsKeyError) when a sealed value cannot be opened: the server then fails with that message. */
export function resolveServer(row: McpServerWithSecretsRow): ResolvedServer {
  const secrets: string[] = [];
  let connection: ConnectionConfig;
  if (row.transport === "STDIO") {
    const env = openSettings(row.id, "env", row.env);
    for (const setting of row.env) if (setting.secret) secrets.push(env[setting.name] ?? "");
    connection = { transport: "STDIO", command: row.command ?? "", args: row.args, cwd: row.cwd, env };
  } else {
    const headers = openSettings(row.id, "header", row.headers);
    for (const setting of row.headers) if (setting.secret) secrets.push(headers[setting.name] ?? "");
    if (row.sealedBearer) {
      const token = openSecret(secretsKeyFromEnv(), bearerLabel(row.id), row.sealedBearer);
      secrets.push(token);
      headers.Authorization = `Bearer ${token}`;
    }
    connection = { transport: "HTTP", url: row.url ?? "", headers };
  }
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    enabled: row.enabled,
    newToolMode: row.newToolMode,
    defaultRiskClass: row.defaultRiskClass,
    callTimeoutMs: row.callTimeoutMs,
    connection,
    secrets: secrets.filter((secret) => secret.length >= 4),
  };
}

/** A message safe to show and store: no secret value of the server in it, bounded. */
export function scrubMessage(message: string, secrets: string[], max = 500): string {
  let scrubbed = message;
  for (const secret of secrets) scrubbed = scrubbed.split(secret).join("••••");
  return scrubbed.length > max ? `${scrubbed.slice(0, max)}…` : scrubbed;
}
