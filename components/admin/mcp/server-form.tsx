"use client";
/** Register or edit an MCP server: stdio (command, args, env, working directory) or Streamable HTTP (URL, headers, bearer token). */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { RISK_CLASSES } from "@/server/shared/risk";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Dialog } from "../../ui/dialog";
import { Field, inputClass } from "../../ui/field";
import { ErrorNotice, InlineError } from "../../ui/notice";
import { emptyForm, formOf, inputOf, newRow, type ServerForm, type SettingRow } from "./server-form-model";
import type { AdminMcpServer } from "./types";

function SettingRows({
  label,
  rows,
  onChange,
  namePlaceholder,
}: {
  label: string;
  rows: SettingRow[];
  onChange: (rows: SettingRow[]) => void;
  namePlaceholder: string;
}) {
  const id = useId();
  const update = (key: string, change: Partial<SettingRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  return (
    <fieldset className="space-y-2">
      <legend className="mb-1 text-xs font-medium text-slate-700">{label}</legend>
      {rows.map((row, index) => (
        <div key={row.key} className="flex flex-wrap items-center gap-2" data-testid="setting-row">
          <input
            aria-label={`${label} ${index + 1} name`}
            value={row.name}
            placeholder={namePlaceholder}
            onChange={(event) => update(row.key, { name: event.target.value })}
            className={`${inputClass} w-44 flex-none font-mono text-xs`}
          />
          <input
            aria-label={`${label} ${index + 1} value`}
            type={row.secret ? "password" : "text"}
            autoComplete="off"
            value={row.value}
            placeholder={row.stored ? "set — leave empty to keep" : row.secret ? "secret value" : "value"}
            onChange={(event) => update(row.key, { value: event.target.value })}
            className={`${inputClass} min-w-40 flex-1 font-mono text-xs`}
          />
          <label className="flex items-center gap-1 text-xs text-slate-700">
            <input
              type="checkbox"
              checked={row.secret}
              disabled={row.stored}
              onChange={(event) => update(row.key, { secret: event.target.checked })}
            />
            secret
          </label>
          <Button size="sm" variant="ghost" onClick={() => onChange(rows.filter((each) => each.key !== row.key))}>
            Remove
          </Button>
        </div>
      ))}
      <Button size="sm" onClick={() => onChange([...rows, newRow()])} id={`${id}-add`}>
        Add {label.toLowerCase().replace(/s$/, "")}
      </Button>
    </fieldset>
  );
}

export function ServerFormDialog({
  server,
  onClose,
  onSaved,
  onReload,
}: {
  /** null: register a new server. */
  server: AdminMcpServer | null;
  onClose: () => void;
  onSaved: (message: string) => void;
  onReload: () => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [form, setForm] = useState<ServerForm>(() => (server ? formOf(server) : emptyForm()));
  const [problem, setProblem] = useState<string | null>(null);
  const set = <Key extends keyof ServerForm>(key: Key, value: ServerForm[Key]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const create = useMutation(
    trpc.admin.mcpServers.create.mutationOptions({ onSuccess: () => onSaved(`Registered ${form.name}.`) }),
  );
  const update = useMutation(
    trpc.admin.mcpServers.update.mutationOptions({ onSuccess: () => onSaved(`Saved ${form.name}.`) }),
  );
  const saving = create.isPending || update.isPending;

  return (
    <Dialog
      wide
      title={server ? `Edit ${server.name}` : "Register an MCP server"}
      description="Secret values are encrypted before they are stored and are never shown again. Every change is audited and reaches every instance before its next call."
      onClose={onClose}
    >
      <form
        noValidate
        className="space-y-4"
        data-testid="mcp-server-form"
        onSubmit={(event) => {
          event.preventDefault();
          const checked = inputOf(form);
          if (!checked.ok) {
            setProblem(checked.message);
            return;
          }
          setProblem(null);
          if (server) update.mutate({ serverId: server.id, expectedVersion: server.version, server: checked.input });
          else create.mutate(checked.input);
        }}
      >
        <div className="flex flex-wrap gap-4">
          <Field label="Name (the tools' namespace)" htmlFor={`${id}-name`} className="w-56">
            <input
              id={`${id}-name`}
              value={form.name}
              placeholder="files"
              onChange={(event) => set("name", event.target.value)}
              className={`${inputClass} font-mono`}
            />
          </Field>
          <fieldset>
            <legend className="mb-1 block text-xs font-medium text-slate-700">Transport</legend>
            <div className="flex gap-3 pt-1.5 text-sm">
              {(["STDIO", "HTTP"] as const).map((transport) => (
                <label key={transport} className="flex items-center gap-1.5">
                  <input
                    type="radio"
                    name={`${id}-transport`}
                    checked={form.transport === transport}
                    onChange={() => set("transport", transport)}
                  />
                  {transport === "STDIO" ? "stdio (a local command)" : "Streamable HTTP"}
                </label>
              ))}
            </div>
          </fieldset>
        </div>

        {form.transport === "STDIO" ? (
          <div className="space-y-3">
            <Field label="Command" htmlFor={`${id}-command`}>
              <input
                id={`${id}-command`}
                value={form.command}
                placeholder="npx"
                onChange={(event) => set("command", event.target.value)}
                className={`${inputClass} font-mono`}
              />
            </Field>
            <Field label="Arguments (one per line)" htmlFor={`${id}-args`}>
              <textarea
                id={`${id}-args`}
                value={form.args}
                rows={3}
                spellCheck={false}
                placeholder={"@modelcontextprotocol/server-filesystem\n/srv/shared"}
                onChange={(event) => set("args", event.target.value)}
                className={`${inputClass} font-mono text-xs`}
              />
            </Field>
            <Field label="Working directory (optional)" htmlFor={`${id}-cwd`}>
              <input
                id={`${id}-cwd`}
                value={form.cwd}
                onChange={(event) => set("cwd", event.target.value)}
                className={`${inputClass} font-mono`}
              />
            </Field>
            <SettingRows
              label="Environment variables"
              namePlaceholder="API_TOKEN"
              rows={form.env}
              onChange={(rows) => set("env", rows)}
            />
            <p className="text-xs text-slate-500">
              The command gets only these variables (and PATH), nothing else from Airlock's environment.
            </p>
          </div>
        ) : (
          <div className="space-y-3">
            <Field label="URL" htmlFor={`${id}-url`}>
              <input
                id={`${id}-url`}
                value={form.url}
                placeholder="http://localhost:3001/mcp"
                onChange={(event) => set("url", event.target.value)}
                className={`${inputClass} font-mono`}
              />
            </Field>
            <SettingRows
              label="Headers"
              namePlaceholder="X-Api-Key"
              rows={form.headers}
              onChange={(rows) => set("headers", rows)}
            />
            <fieldset className="space-y-2">
              <legend className="text-xs font-medium text-slate-700">
                Bearer token: <span data-testid="bearer-state">{form.bearerStored ? "set" : "not set"}</span>
              </legend>
              <div className="flex flex-wrap items-center gap-3 text-sm">
                {(form.bearerStored ? (["keep", "set", "clear"] as const) : (["keep", "set"] as const)).map(
                  (action) => (
                    <label key={action} className="flex items-center gap-1.5">
                      <input
                        type="radio"
                        name={`${id}-bearer`}
                        checked={form.bearerAction === action}
                        onChange={() => set("bearerAction", action)}
                      />
                      {action === "keep"
                        ? form.bearerStored
                          ? "Keep"
                          : "None"
                        : action === "set"
                          ? form.bearerStored
                            ? "Replace"
                            : "Set"
                          : "Remove"}
                    </label>
                  ),
                )}
                {form.bearerAction === "set" ? (
                  <input
                    aria-label="Bearer token"
                    type="password"
                    autoComplete="off"
                    value={form.bearerToken}
                    onChange={(event) => set("bearerToken", event.target.value)}
                    className={`${inputClass} w-72 font-mono text-xs`}
                  />
                ) : null}
              </div>
            </fieldset>
          </div>
        )}

        <div className="flex flex-wrap gap-4 border-t border-slate-100 pt-3">
          <Field label="A tool never seen before" htmlFor={`${id}-new-tools`} className="w-64">
            <select
              id={`${id}-new-tools`}
              value={form.newToolMode}
              onChange={(event) => set("newToolMode", event.target.value as ServerForm["newToolMode"])}
              className={inputClass}
            >
              <option value="NEEDS_APPROVAL">needs approval until confirmed</option>
              <option value="DISABLED">is disabled until confirmed</option>
            </select>
          </Field>
          <Field label="Default class for its tools" htmlFor={`${id}-default-class`} className="w-56">
            <select
              id={`${id}-default-class`}
              value={form.defaultRiskClass}
              onChange={(event) => set("defaultRiskClass", event.target.value as ServerForm["defaultRiskClass"])}
              className={inputClass}
            >
              <option value="">from the tool's annotations</option>
              {RISK_CLASSES.map((riskClass) => (
                <option key={riskClass} value={riskClass}>
                  {riskClass}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Call timeout (ms)" htmlFor={`${id}-timeout`} className="w-36">
            <input
              id={`${id}-timeout`}
              inputMode="numeric"
              value={form.callTimeoutMs}
              onChange={(event) => set("callTimeoutMs", event.target.value)}
              className={inputClass}
            />
          </Field>
          <label className="flex items-center gap-2 self-end pb-2 text-sm">
            <input type="checkbox" checked={form.enabled} onChange={(event) => set("enabled", event.target.checked)} />
            Enabled
          </label>
        </div>

        <InlineError message={problem} />
        <ErrorNotice error={create.error ?? update.error} onReload={onReload} />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={saving}>
            {saving ? "Saving…" : server ? "Save changes" : "Register server"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
