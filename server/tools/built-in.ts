/**
 * The tools every run gets, configured from the environment with working defaults: the
 * workspace next to (never inside) the data directory, the `demo` database next to DATABASE_URL, the
 * built-in shell allowlist, the secret store, and an outbox that only stores messages.
 * Each tool lives in its own file; this only wires them.
 */
import path from "node:path";
import { secretsKeyFromEnv } from "../crypto/secrets-key";
import { readSensitiveTables, readUnsandboxedShellAllowed } from "../db/policy";
import { env } from "../env";
import type { AnyTool } from "./define-tool";
import { createSendMessageTool } from "./outbox/send-message";
import { createSmtpTransport, createWebhookTransport, type OutboxTransport } from "./outbox/transports";
import { createToolRegistry, type ToolRegistry } from "./registry";
import { createReadSecretTool } from "./secrets/read-secret";
import { createRunShellTool } from "./shell/run-shell";
import { demoDatabaseUrl } from "./sql/seed-demo-database";
import { createSqlQueryTool } from "./sql/sql-query";
import { defaultWorkspaceRoot } from "./workspace/workspace-location";
import { createWorkspaceTools } from "./workspace/workspace-tools";

/** WORKSPACE_ROOT, or `<AIRLOCK_DATA_DIR>-workspace` (outside the data directory), relative to the working directory. */
export function workspaceRoot(): string {
  const config = env();
  return config.WORKSPACE_ROOT ? path.resolve(config.WORKSPACE_ROOT) : defaultWorkspaceRoot(config.AIRLOCK_DATA_DIR);
}

/** SQL_TARGET_URL, or the `demo` database on DATABASE_URL's server. Resolved at use: DATABASE_URL may come later. */
export function sqlTargetUrl(): string {
  const config = env();
  if (config.SQL_TARGET_URL) return config.SQL_TARGET_URL;
  if (!config.DATABASE_URL) {
    throw new Error(
      "sql_query has no database: set SQL_TARGET_URL, or DATABASE_URL for the `demo` database next to it.",
    );
  }
  return demoDatabaseUrl(config.DATABASE_URL);
}

function outboxTransports(): OutboxTransport[] {
  const config = env();
  const transports: OutboxTransport[] = [];
  if (config.SMTP_URL) transports.push(createSmtpTransport({ url: config.SMTP_URL, from: config.SMTP_FROM }));
  if (config.OUTBOX_WEBHOOK_URL) transports.push(createWebhookTransport({ url: config.OUTBOX_WEBHOOK_URL }));
  return transports;
}

export function builtInToolList(): AnyTool[] {
  const config = env();
  const root = workspaceRoot();
  const sensitivePatterns = config.WORKSPACE_SENSITIVE_PATTERNS;
  return [
    ...createWorkspaceTools({ root, sensitivePatterns }),
    createSqlQueryTool({
      url: sqlTargetUrl,
      // The environment's list plus the tables an admin marked sensitive in the console.
      sensitiveTables: async () => [...env().SQL_SENSITIVE_TABLES, ...(await readSensitiveTables())],
    }),
    createRunShellTool({
      root,
      sensitivePatterns,
      timeoutMs: Math.max(1_000, config.TOOL_TIMEOUT_MS - 1_000),
      ...(config.SHELL_READ_ALLOWLIST ? { readAllowlist: config.SHELL_READ_ALLOWLIST } : {}),
      unsandboxedAllowed: readUnsandboxedShellAllowed,
    }),
    createReadSecretTool({ key: secretsKeyFromEnv }),
    createSendMessageTool({ transports: outboxTransports(), from: config.SMTP_FROM }),
  ];
}

export function builtInTools(): ToolRegistry {
  return createToolRegistry(builtInToolList());
}
