"use client";
/**
 * A server's tools: the namespaced name the agent sees, what the server says, the class its
 * annotations hint at (an untrusted hint), and the confirmed class — or "new — confirm
 * class", or "definition changed" with the diff, until an admin confirms it as it is now.
 */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { RISK_CLASSES, type RiskClass } from "@/server/shared/risk";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { controlClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice } from "../../ui/notice";
import { Badge } from "../../ui/status";
import { DefinitionDiff, ToolFlagBadge } from "./tool-flag";
import type { AdminMcpServer, AdminMcpTool } from "./types";

function ConfirmClass({ tool, onChanged }: { tool: AdminMcpTool; onChanged: (message?: string) => Promise<void> }) {
  const trpc = useTRPC();
  const id = useId();
  const [riskClass, setRiskClass] = useState<RiskClass>(tool.confirmedClass ?? tool.hintedClass);
  const confirm = useMutation(
    trpc.admin.mcpServers.confirmTool.mutationOptions({
      onSuccess: (_data, variables) => onChanged(`Confirmed ${tool.name} as ${variables.riskClass}.`),
    }),
  );
  return (
    <div className="space-y-1">
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-class`} className="sr-only">
          Class for {tool.name}
        </label>
        <select
          id={`${id}-class`}
          value={riskClass}
          onChange={(event) => setRiskClass(event.target.value as RiskClass)}
          className={`${controlClass} py-1 text-xs`}
        >
          {RISK_CLASSES.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
        <Button
          size="sm"
          variant={tool.confirmation === "confirmed" ? "secondary" : "primary"}
          disabled={confirm.isPending}
          onClick={() => confirm.mutate({ toolId: tool.id, expectedVersion: tool.version, riskClass })}
        >
          {confirm.isPending ? "Confirming…" : tool.confirmation === "confirmed" ? "Change class" : "Confirm class"}
        </Button>
      </div>
      <ErrorNotice error={confirm.error} onReload={() => void onChanged()} />
    </div>
  );
}

export function McpToolsTable({
  server,
  onChanged,
}: {
  server: AdminMcpServer;
  onChanged: (message?: string) => Promise<void>;
}) {
  if (server.tools.length === 0) {
    return <p className="text-sm text-slate-500">No tools listed yet: they appear once an instance has connected.</p>;
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead>
          <tr className="border-b border-slate-200 text-xs text-slate-500">
            <th className="py-2 pr-3 font-medium">Tool</th>
            <th className="py-2 pr-3 font-medium">Hinted by the server</th>
            <th className="py-2 pr-3 font-medium">Class</th>
            <th className="py-2 font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {server.tools.map((tool) => (
            <tr
              key={tool.id}
              className={`border-b border-slate-100 align-top ${tool.removed ? "opacity-60" : ""}`}
              data-testid="mcp-tool"
              data-tool={tool.name}
              data-confirmation={tool.confirmation}
            >
              <td className="max-w-md py-2.5 pr-3">
                <p className="font-mono text-xs font-medium break-all">{tool.name}</p>
                <p className="mt-0.5 line-clamp-3 text-xs break-words text-slate-600">{tool.description}</p>
                {tool.confirmation === "changed" && tool.diff ? (
                  <div className="mt-2 rounded-lg border border-rose-200 p-2">
                    <p className="mb-1 text-xs text-rose-800">
                      Changed{tool.changedAt ? ` ${formatDateTime(tool.changedAt)}` : ""}: calls need approval again
                      until you confirm the new definition.
                    </p>
                    <DefinitionDiff diff={tool.diff} />
                  </div>
                ) : null}
              </td>
              <td className="py-2.5 pr-3">
                <span title={tool.hintReasons.join("\n")}>
                  <RiskBadge riskClass={tool.hintedClass} />
                </span>
              </td>
              <td className="py-2.5 pr-3">
                <span className="flex flex-wrap items-center gap-1.5">
                  {tool.confirmedClass ? <RiskBadge riskClass={tool.confirmedClass} /> : null}
                  {tool.confirmation === "confirmed" ? (
                    <Badge tone="green">confirmed</Badge>
                  ) : (
                    <ToolFlagBadge flag={{ state: tool.confirmation }} />
                  )}
                  {tool.removed ? <Badge>no longer listed</Badge> : null}
                </span>
              </td>
              <td className="py-2.5">
                {tool.removed ? null : <ConfirmClass key={tool.version} tool={tool} onChanged={onChanged} />}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
