"use client";
/** One MCP server in the console: settings, live status per instance, actions, and its tools. */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card } from "../../ui/card";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice } from "../../ui/notice";
import { Badge, type BadgeTone } from "../../ui/status";
import { McpToolsTable } from "./tools-table";
import type { AdminMcpServer, McpConnectionTest } from "./types";

const STATE_STYLE: Record<AdminMcpServer["statuses"][number]["state"], { tone: BadgeTone; label: string }> = {
  CONNECTING: { tone: "amber", label: "connecting" },
  READY: { tone: "green", label: "ready" },
  FAILED: { tone: "rose", label: "failed" },
  STOPPED: { tone: "slate", label: "stopped" },
};

function Settings({ server }: { server: AdminMcpServer }) {
  const settings = server.transport === "STDIO" ? server.env : server.headers;
  return (
    <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[10rem_1fr]" data-testid="mcp-server-settings">
      {server.transport === "STDIO" ? (
        <>
          <dt className="text-xs text-slate-500">Command</dt>
          <dd className="font-mono text-xs break-all">
            {[server.command, ...server.args]
              .map((part) => (part?.includes(" ") ? JSON.stringify(part) : part))
              .join(" ")}
          </dd>
          {server.cwd ? (
            <>
              <dt className="text-xs text-slate-500">Working directory</dt>
              <dd className="font-mono text-xs break-all">{server.cwd}</dd>
            </>
          ) : null}
        </>
      ) : (
        <>
          <dt className="text-xs text-slate-500">URL</dt>
          <dd className="font-mono text-xs break-all">{server.url}</dd>
          <dt className="text-xs text-slate-500">Bearer token</dt>
          <dd className="text-xs">{server.hasBearerToken ? "set" : "not set"}</dd>
        </>
      )}
      <dt className="text-xs text-slate-500">{server.transport === "STDIO" ? "Environment" : "Headers"}</dt>
      <dd className="text-xs">
        {settings.length === 0 ? (
          <span className="text-slate-500">none</span>
        ) : (
          <ul className="space-y-0.5">
            {settings.map((setting) => (
              <li key={setting.name} className="font-mono break-all" data-testid="mcp-setting">
                {setting.name} ={" "}
                {setting.secret ? (
                  <span className="font-sans text-slate-500">secret · {setting.set ? "set" : "not set"}</span>
                ) : (
                  setting.value
                )}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt className="text-xs text-slate-500">New tools</dt>
      <dd className="text-xs">
        {server.newToolMode === "DISABLED" ? "disabled" : "need approval"} until an admin confirms their class
        {server.defaultRiskClass ? (
          <>
            {" "}
            · default class <RiskBadge riskClass={server.defaultRiskClass} />
          </>
        ) : null}
        {" · "}timeout {server.callTimeoutMs.toLocaleString("en")} ms
      </dd>
    </dl>
  );
}

function LiveStatus({ server }: { server: AdminMcpServer }) {
  if (!server.enabled) return <p className="text-sm text-slate-500">Disabled: no instance connects to it.</p>;
  if (server.statuses.length === 0) {
    return (
      <p className="text-sm text-slate-500" data-testid="mcp-status">
        No instance has reported on it yet.
      </p>
    );
  }
  return (
    <ul className="space-y-2" data-testid="mcp-status">
      {server.statuses.map((status) => (
        <li key={status.instanceId} className="text-sm" data-state={status.state}>
          <span className="flex flex-wrap items-center gap-2">
            <Badge tone={STATE_STYLE[status.state].tone} testId="mcp-state">
              {STATE_STYLE[status.state].label}
            </Badge>
            <span data-testid="mcp-tool-count">
              {status.toolCount} tool{status.toolCount === 1 ? "" : "s"}
            </span>
            <span className="text-xs text-slate-500">
              {status.lastListedAt ? `tools/list ${formatDateTime(status.lastListedAt)}` : "tools/list not yet"}
            </span>
            <span className="ml-auto font-mono text-xs text-slate-400" title="Instance">
              {status.instanceId}
            </span>
          </span>
          {status.lastError ? (
            <p className="mt-1 text-xs break-words text-rose-700">
              Last error{status.lastErrorAt ? ` (${formatDateTime(status.lastErrorAt)})` : ""}: {status.lastError}
            </p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function TestResult({ result }: { result: McpConnectionTest }) {
  return (
    <div
      role="status"
      data-testid="mcp-test-result"
      data-ok={result.ok}
      className={`rounded-lg border px-3.5 py-2.5 text-sm ${result.ok ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-rose-200 bg-rose-50 text-rose-800"}`}
    >
      <p className="font-medium">
        {result.ok ? "Connection works" : "Connection failed"}
        {result.serverInfo ? ` · ${result.serverInfo.name} ${result.serverInfo.version}` : ""}
      </p>
      <p className="break-words">{result.message}</p>
      {result.tools.length > 0 ? (
        <p className="mt-1 text-xs">Lists: {result.tools.map((tool) => tool.name).join(", ")}</p>
      ) : null}
    </div>
  );
}

export function ServerCard({
  server,
  onChanged,
  onEdit,
  onDelete,
}: {
  server: AdminMcpServer;
  onChanged: (message?: string) => Promise<void>;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const trpc = useTRPC();
  const [tested, setTested] = useState<McpConnectionTest | null>(null);
  const enable = useMutation(
    trpc.admin.mcpServers.setEnabled.mutationOptions({
      onSuccess: (_data, variables) => onChanged(`${variables.enabled ? "Enabled" : "Disabled"} ${server.name}.`),
    }),
  );
  const test = useMutation(trpc.admin.mcpServers.testConnection.mutationOptions({ onSuccess: setTested }));
  return (
    <Card
      testId="mcp-server"
      title={
        <span className="flex flex-wrap items-center gap-2">
          <span className="font-mono text-base" data-testid="mcp-server-name">
            {server.name}
          </span>
          <Badge tone="indigo">{server.transport === "STDIO" ? "stdio" : "Streamable HTTP"}</Badge>
          <Badge tone={server.enabled ? "green" : "slate"}>{server.enabled ? "enabled" : "disabled"}</Badge>
          {server.unconfirmedToolCount > 0 ? (
            <Badge tone="amber" testId="mcp-unconfirmed-count">
              {server.unconfirmedToolCount} to confirm
            </Badge>
          ) : null}
        </span>
      }
      description={`Changed ${formatDateTime(server.updatedAt)} · version ${server.version}`}
      actions={
        <>
          <Button size="sm" disabled={test.isPending} onClick={() => test.mutate({ serverId: server.id })}>
            {test.isPending ? "Testing…" : "Test connection"}
          </Button>
          <Button
            size="sm"
            disabled={enable.isPending}
            onClick={() =>
              enable.mutate({ serverId: server.id, expectedVersion: server.version, enabled: !server.enabled })
            }
          >
            {server.enabled ? "Disable" : "Enable"}
          </Button>
          <Button size="sm" onClick={onEdit}>
            Edit
          </Button>
          <Button size="sm" variant="ghost" className="text-rose-700" onClick={onDelete}>
            Delete
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <ErrorNotice error={enable.error ?? test.error} onReload={() => void onChanged()} />
        {tested ? <TestResult result={tested} /> : null}
        <div className="grid gap-4 lg:grid-cols-2">
          <Settings server={server} />
          <div>
            <p className="mb-1 text-xs font-medium text-slate-600">Live status</p>
            <LiveStatus server={server} />
          </div>
        </div>
        <McpToolsTable server={server} onChanged={onChanged} />
      </div>
    </Card>
  );
}
