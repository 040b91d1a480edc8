/**
 * The register/edit form of an MCP server as plain data: what the form holds (a stored
 * secret is only "set": its value never came to the browser; left empty it is kept), and
 * the input it sends, checked with the same schema the server uses.
 */
import { type McpServerInput, mcpServerInputSchema } from "@/server/shared/mcp-schemas";
import type { RiskClass } from "@/server/shared/risk";
import type { AdminMcpServer } from "./types";

export interface SettingRow {
  key: string;
  name: string;
  value: string;
  secret: boolean;
  /** A secret stored on the server: an empty value keeps it. */
  stored: boolean;
}

export interface ServerForm {
  transport: "STDIO" | "HTTP";
  name: string;
  enabled: boolean;
  newToolMode: "NEEDS_APPROVAL" | "DISABLED";
  defaultRiskClass: RiskClass | "";
  callTimeoutMs: string;
  command: string;
  /** One argument per line. */
  args: string;
  cwd: string;
  env: SettingRow[];
  url: string;
  headers: SettingRow[];
  bearerStored: boolean;
  bearerAction: "keep" | "set" | "clear";
  bearerToken: string;
}

let rowKeys = 0;
export function newRow(): SettingRow {
  rowKeys += 1;
  return { key: `row-${rowKeys}`, name: "", value: "", secret: false, stored: false };
}

export function emptyForm(): ServerForm {
  return {
    transport: "STDIO",
    name: "",
    enabled: true,
    newToolMode: "NEEDS_APPROVAL",
    defaultRiskClass: "",
    callTimeoutMs: "30000",
    command: "",
    args: "",
    cwd: "",
    env: [],
    url: "",
    headers: [],
    bearerStored: false,
    bearerAction: "keep",
    bearerToken: "",
  };
}

export function formOf(server: AdminMcpServer): ServerForm {
  const rows = (settings: AdminMcpServer["env"]) =>
    settings.map((setting) => ({
      ...newRow(),
      name: setting.name,
      value: setting.secret ? "" : (setting.value ?? ""),
      secret: setting.secret,
      stored: setting.secret && setting.set,
    }));
  return {
    transport: server.transport,
    name: server.name,
    enabled: server.enabled,
    newToolMode: server.newToolMode,
    defaultRiskClass: server.defaultRiskClass ?? "",
    callTimeoutMs: String(server.callTimeoutMs),
    command: server.command ?? "",
    args: server.args.join("\n"),
    cwd: server.cwd ?? "",
    env: rows(server.env),
    url: server.url ?? "",
    headers: rows(server.headers),
    bearerStored: server.hasBearerToken,
    bearerAction: "keep",
    bearerToken: "",
  };
}

function settingsInput(rows: SettingRow[]) {
  return rows
    .filter((row) => row.name.trim() !== "" || row.value !== "")
    .map((row) => ({
      name: row.name.trim(),
      secret: row.secret,
      // A stored secret left empty is kept; anything typed replaces it.
      ...(row.secret && row.stored && row.value === "" ? {} : { value: row.value }),
    }));
}

/** The input the form sends, or the first problem with it (as the server would say it). */
export function inputOf(form: ServerForm): { ok: true; input: McpServerInput } | { ok: false; message: string } {
  const common = {
    name: form.name.trim(),
    enabled: form.enabled,
    newToolMode: form.newToolMode,
    defaultRiskClass: form.defaultRiskClass === "" ? null : form.defaultRiskClass,
    callTimeoutMs: Number(form.callTimeoutMs),
  };
  const candidate =
    form.transport === "STDIO"
      ? {
          ...common,
          transport: "STDIO" as const,
          command: form.command.trim(),
          args: form.args.split("\n").filter((line) => line.trim() !== ""),
          cwd: form.cwd.trim() === "" ? null : form.cwd.trim(),
          env: settingsInput(form.env),
        }
      : {
          ...common,
          transport: "HTTP" as const,
          url: form.url.trim(),
          headers: settingsInput(form.headers),
          bearerToken:
            form.bearerAction === "set"
              ? { action: "set" as const, value: form.bearerToken }
              : { action: form.bearerAction === "clear" ? ("clear" as const) : ("keep" as const) },
        };
  const parsed = mcpServerInputSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, input: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `${issue?.path.join(".") || "form"}: ${issue?.message ?? "invalid"}` };
}
