"use client";
/**
 * A server's tools: the namespaced name the agent sees, what the server says, the class its
 * annotations hint at (an untrusted hint), and the confirmed class — or "new — confirm
 * class", or "definition changed" with the diff, until an admin confirms it as it is now.
 */
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { RISK_CLASSES, type RiskClass } from "@/server/shared/risk";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { controlClass, invalidInputClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice } from "../../ui/notice";
import { Badge } from "../../ui/status";
import { DefinitionDiff, ToolFlagBadge } from "./tool-flag";
import type { AdminMcpServer, AdminMcpTool } from "./types";

/**
 * READ lets every call of the tool run with no human approval, on the word of the server's
 * definition, so choosing it (for a new or changed tool, or one confirmed as another class)
 * asks, on the first submit, for the tool's name typed out; the server checks it too.
 * Other classes are one click.
 */
function ConfirmClass({ tool, onChanged }: { tool: AdminMcpTool; onChanged: (message?: string) => Promise<void> }) {
  const trpc = useTRPC();
  const id = useId();
  const [riskClass, setRiskClass] = useState<RiskClass>(tool.confirmedClass ?? tool.hintedClass);
  // READ asks for the name on the first submit, so a table of READ-hinted tools is not a wall of fields.
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const typedInput = useRef<HTMLInputElement>(null);
  const confirm = useMutation(
    trpc.admin.mcpServers.confirmTool.mutationOptions({
      onSuccess: (_data, variables) => onChanged(`Confirmed ${tool.name} as ${variables.riskClass}.`),
    }),
  );
  // Re-confirming a tool already confirmed as READ, unchanged since, lowers nothing.
  const alreadyRead = tool.confirmation === "confirmed" && tool.confirmedClass === "READ";
  const needsTyping = riskClass === "READ" && !alreadyRead;
  const errorId = `${id}-typed-error`;
  useEffect(() => {
    if (asking) typedInput.current?.focus();
  }, [asking]);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (needsTyping && !asking) {
      setAsking(true);
      return;
    }
    if (needsTyping && typed !== tool.name) {
      setMismatch(true);
      typedInput.current?.focus();
      return;
    }
    confirm.mutate({
      toolId: tool.id,
      expectedVersion: tool.version,
      riskClass,
      ...(needsTyping ? { confirmation: typed } : {}),
    });
  }
  return (
    <form className="space-y-1.5" onSubmit={submit} aria-label={`Confirm the class of ${tool.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-class`} className="sr-only">
          Class for {tool.name}
        </label>
        <select
          id={`${id}-class`}
          value={riskClass}
          onChange={(event) => {
            setRiskClass(event.target.value as RiskClass);
            setAsking(false);
            setMismatch(false);
            confirm.reset();
          }}
          className={`${controlClass} py-1 text-xs`}
        >
          {RISK_CLASSES.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
        <Button
          type="submit"
          size="sm"
          variant={tool.confirmation === "confirmed" ? "secondary" : "primary"}
          disabled={confirm.isPending}
        >
          {confirm.isPending
            ? "Confirming…"
            : needsTyping && asking
              ? "Confirm READ"
              : tool.confirmation === "confirmed"
                ? "Change class"
                : "Confirm class"}
        </Button>
      </div>
      {needsTyping && asking ? (
        <div className="max-w-xs">
          <label htmlFor={`${id}-typed`} className="block text-xs text-slate-700">
            As READ it runs with no human approval. Type{" "}
            <span className="font-mono font-medium [overflow-wrap:anywhere]">{tool.name}</span> to confirm.
          </label>
          <input
            ref={typedInput}
            id={`${id}-typed`}
            value={typed}
            onChange={(event) => {
              setTyped(event.target.value);
              setMismatch(false);
            }}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={mismatch}
            aria-describedby={mismatch ? errorId : undefined}
            className={`${controlClass} mt-1 w-full py-1 font-mono text-xs ${mismatch ? invalidInputClass : ""}`}
          />
          {mismatch ? (
            <p id={errorId} role="alert" className="mt-1 text-xs text-rose-700">
              That is not the tool's name: type {tool.name} exactly, or pick another class.
            </p>
          ) : null}
        </div>
      ) : null}
      <ErrorNotice error={confirm.error} onReload={() => void onChanged()} />
    </form>
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
