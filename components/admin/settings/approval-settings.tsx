"use client";
/** Approval settings: default expiry and approvals, and which classes need a reviewer. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { approvalSettingsSchema } from "@/server/shared/settings-schemas";
import { RiskBadge } from "../../inbox/risk-badge";
import { type RouterOutputs, useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { TypedConfirmDialog } from "../../ui/dialog";
import { Field, inputClass, invalidInputClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice, SuccessNotice } from "../../ui/notice";
import { Badge, LoadingRows } from "../../ui/status";

type Settings = RouterOutputs["admin"]["settings"]["get"];

function formFrom(settings: Settings) {
  return {
    defaultRequiredApprovals: String(settings.defaultRequiredApprovals),
    defaultExpiryMinutes: String(settings.defaultExpiryMinutes),
    sensitiveReadsNeedApproval: settings.sensitiveReadsNeedApproval,
    destructiveAutoRunConfirmed: settings.destructiveAutoRunConfirmed,
    sensitiveTables: settings.sensitiveTables.join(", "),
    unsandboxedShellConfirmed: settings.unsandboxedShellConfirmed,
  };
}

function tableList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((table) => table.trim())
    .filter(Boolean);
}

function humanMinutes(text: string): string {
  const minutes = Number(text);
  if (!Number.isFinite(minutes) || minutes <= 0) return "";
  if (minutes % 1440 === 0) return `= ${minutes / 1440} day${minutes === 1440 ? "" : "s"}`;
  if (minutes % 60 === 0) return `= ${minutes / 60} h`;
  return minutes > 60 ? `≈ ${(minutes / 60).toFixed(1)} h` : "";
}

export function ApprovalSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.admin.settings.get.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.settings.pathKey() });
  return (
    <div className="mx-auto max-w-4xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Approval settings"
        description="How long a request waits, how many reviewers it needs by default, and which risk classes a reviewer must approve. Rules can ask for more per call. Every change starts a new policy version: approvals given under the old one are void."
      />
      <ErrorNotice error={settings.error} />
      {settings.isPending ? <LoadingRows rows={4} label="Loading settings" /> : null}
      {settings.data ? <SettingsForm settings={settings.data} onChanged={refresh} /> : null}
    </div>
  );
}

function SettingsForm({ settings, onChanged }: { settings: Settings; onChanged: () => Promise<void> }) {
  const trpc = useTRPC();
  const id = useId();
  const stored = JSON.stringify(formFrom(settings));
  const [form, setForm] = useState(() => formFrom(settings));
  useEffect(() => setForm(JSON.parse(stored) as ReturnType<typeof formFrom>), [stored]);
  // Each setting that needs a typed phrase gets its own dialog, one after the other.
  const [confirming, setConfirming] = useState<null | "auto-run" | "unsandboxed">(null);
  const [autoRunTyped, setAutoRunTyped] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.admin.settings.update.mutationOptions({
      onSuccess: async () => {
        setConfirming(null);
        setSaved(true);
        await onChanged();
      },
    }),
  );
  const candidate = {
    expectedVersion: settings.version,
    defaultRequiredApprovals:
      form.defaultRequiredApprovals.trim() === "" ? Number.NaN : Number(form.defaultRequiredApprovals),
    defaultExpiryMinutes: form.defaultExpiryMinutes.trim() === "" ? Number.NaN : Number(form.defaultExpiryMinutes),
    sensitiveReadsNeedApproval: form.sensitiveReadsNeedApproval,
    destructiveAutoRunConfirmed: form.destructiveAutoRunConfirmed,
    sensitiveTables: tableList(form.sensitiveTables),
    unsandboxedShellConfirmed: form.unsandboxedShellConfirmed,
  };
  const parsed = approvalSettingsSchema.safeParse(candidate);
  const errorFor = (field: string) =>
    parsed.success ? undefined : parsed.error.issues.find((issue) => issue.path[0] === field)?.message;
  const dirty = JSON.stringify(form) !== stored;
  const turningOnAutoRun = form.destructiveAutoRunConfirmed && !settings.destructiveAutoRunConfirmed;
  const turningOnUnsandboxed = form.unsandboxedShellConfirmed && !settings.unsandboxedShellConfirmed;
  const set = (patch: Partial<typeof form>) => {
    setForm((current) => ({ ...current, ...patch }));
    setSaved(false);
  };

  function submit(confirmations: { confirmation?: string; unsandboxedShellConfirmation?: string } = {}) {
    if (!parsed.success) return;
    save.mutate({ ...parsed.data, ...confirmations });
  }

  return (
    <>
      <form
        noValidate
        className="space-y-5"
        onSubmit={(event) => {
          event.preventDefault();
          if (turningOnAutoRun) setConfirming("auto-run");
          else if (turningOnUnsandboxed) setConfirming("unsandboxed");
          else submit();
        }}
      >
        <Card title="Defaults for approval requests">
          <div className="grid gap-4 sm:grid-cols-2">
            <Field
              label="Expires after (minutes)"
              htmlFor={`${id}-expiry`}
              error={errorFor("defaultExpiryMinutes")}
              hint={`An unanswered request is refused after this long. ${humanMinutes(form.defaultExpiryMinutes)}`}
            >
              <input
                id={`${id}-expiry`}
                inputMode="numeric"
                value={form.defaultExpiryMinutes}
                onChange={(event) => set({ defaultExpiryMinutes: event.target.value })}
                className={`${inputClass} ${errorFor("defaultExpiryMinutes") ? invalidInputClass : ""}`}
              />
            </Field>
            <Field
              label="Required approvals"
              htmlFor={`${id}-approvals`}
              error={errorFor("defaultRequiredApprovals")}
              hint="Distinct reviewers, none of them the requester."
            >
              <input
                id={`${id}-approvals`}
                inputMode="numeric"
                value={form.defaultRequiredApprovals}
                onChange={(event) => set({ defaultRequiredApprovals: event.target.value })}
                className={`${inputClass} ${errorFor("defaultRequiredApprovals") ? invalidInputClass : ""}`}
              />
            </Field>
            <Field
              label="Sensitive SQL tables"
              htmlFor={`${id}-tables`}
              error={errorFor("sensitiveTables")}
              hint="Reading these with sql_query is a sensitive read: a reviewer approves before rows are released. Comma-separated, e.g. payment_methods, billing.cards."
            >
              <input
                id={`${id}-tables`}
                value={form.sensitiveTables}
                onChange={(event) => set({ sensitiveTables: event.target.value })}
                className={`${inputClass} ${errorFor("sensitiveTables") ? invalidInputClass : ""}`}
              />
            </Field>
          </div>
        </Card>

        <Card
          title="Which classes need approval"
          description="READ is the floor: it never needs less than nothing. DESTRUCTIVE always needs a reviewer unless you confirm auto-run for rules that allow it."
        >
          <ul className="divide-y divide-slate-100 text-sm">
            <li className="flex items-center gap-4 py-3">
              <span className="w-36">
                <RiskBadge riskClass="READ" />
              </span>
              <span className="flex-1 text-slate-700">Runs automatically. Nothing to relax.</span>
              <Badge tone="green">Runs</Badge>
            </li>
            <li className="flex items-center gap-4 py-3">
              <span className="w-36">
                <RiskBadge riskClass="SENSITIVE_READ" />
              </span>
              <label className="flex flex-1 items-center gap-2 text-slate-700">
                <input
                  type="checkbox"
                  checked={form.sensitiveReadsNeedApproval}
                  onChange={(event) => set({ sensitiveReadsNeedApproval: event.target.checked })}
                />
                A reviewer releases the value before the model or the user sees it
              </label>
              {form.sensitiveReadsNeedApproval ? (
                <Badge tone="amber">Needs approval</Badge>
              ) : (
                <Badge tone="rose">Released without review</Badge>
              )}
            </li>
            <li className="flex items-start gap-4 py-3">
              <span className="w-36 pt-0.5">
                <RiskBadge riskClass="DESTRUCTIVE" />
              </span>
              <div className="flex-1 space-y-1.5 text-slate-700">
                <p>Always needs explicit approval, bound to the exact arguments.</p>
                <label className="flex items-center gap-2">
                  <input
                    type="checkbox"
                    checked={form.destructiveAutoRunConfirmed}
                    onChange={(event) => set({ destructiveAutoRunConfirmed: event.target.checked })}
                  />
                  Let rules with the decision ALLOW run destructive calls without a reviewer
                </label>
                {turningOnAutoRun ? (
                  <p className="text-xs text-amber-800">You will be asked to type a confirmation; it is audited.</p>
                ) : null}
              </div>
              {form.destructiveAutoRunConfirmed ? (
                <Badge tone="rose">Auto-run allowed by rules</Badge>
              ) : (
                <Badge tone="amber">Needs approval</Badge>
              )}
            </li>
            <li className="flex items-center gap-4 py-3">
              <span className="w-36">
                <RiskBadge riskClass="DISABLED" />
              </span>
              <span className="flex-1 text-slate-700">Never runs; the model is told so.</span>
              <Badge tone="slate">Refused</Badge>
            </li>
          </ul>
        </Card>

        <Card
          title="Shell sandbox"
          description="run_shell runs every command in a bubblewrap sandbox that sees only the workspace (read-only for reads), with no network. Where no sandbox can start, the shell is disabled."
        >
          <div className="space-y-2 text-sm text-slate-700">
            <p data-testid="shell-sandbox-status">
              {settings.shellSandbox.available ? (
                <Badge tone="slate">Sandbox available</Badge>
              ) : (
                <>
                  <Badge tone="rose">No sandbox on this server</Badge>{" "}
                  <span className="text-xs text-slate-600">{settings.shellSandbox.reason}</span>
                </>
              )}
            </p>
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                data-testid="unsandboxed-shell"
                checked={form.unsandboxedShellConfirmed}
                onChange={(event) => set({ unsandboxedShellConfirmed: event.target.checked })}
              />
              Where no sandbox is available, let run_shell run commands directly on the server
            </label>
            {turningOnUnsandboxed ? (
              <p className="text-xs text-amber-800">You will be asked to type a confirmation; it is audited.</p>
            ) : null}
          </div>
        </Card>

        <div className="space-y-3">
          <ErrorNotice
            error={confirming ? null : save.error}
            onReload={() => {
              save.reset();
              void onChanged();
            }}
          />
          {saved && !dirty ? <SuccessNotice>Saved. The next call is decided with these settings.</SuccessNotice> : null}
          <div className="flex items-center gap-3">
            <Button type="submit" variant="primary" disabled={!dirty || !parsed.success || save.isPending}>
              {save.isPending ? "Saving…" : "Save settings"}
            </Button>
            {dirty ? <Button onClick={() => setForm(JSON.parse(stored) as typeof form)}>Undo changes</Button> : null}
            <span className="ml-auto text-xs text-slate-500">
              Policy version {settings.version} · last changed {formatDateTime(settings.updatedAt)}
            </span>
          </div>
        </div>
      </form>
      {confirming === "auto-run" ? (
        <TypedConfirmDialog
          title="Let destructive actions run without approval?"
          body={
            <>
              Rules whose decision is <strong>ALLOW</strong> will then run matching destructive calls — deletes, writes,
              shell commands — with no human in the loop. Calls without such a rule still need approval.
            </>
          }
          phrase={settings.autoRunConfirmation}
          confirmLabel="Allow auto-run"
          pending={save.isPending}
          error={save.error}
          onConfirm={(typed) => {
            setAutoRunTyped(typed);
            if (turningOnUnsandboxed) setConfirming("unsandboxed");
            else submit({ confirmation: typed });
          }}
          onCancel={() => {
            setConfirming(null);
            save.reset();
          }}
        />
      ) : null}
      {confirming === "unsandboxed" ? (
        <TypedConfirmDialog
          title="Run shell commands without a sandbox?"
          body={
            <>
              Where bubblewrap is not available, approved and read-only shell commands alike will run directly on the
              server as its user: they can read the data directory, the app's files and the network. Classification
              alone then decides what runs without a reviewer.
            </>
          }
          phrase={settings.unsandboxedShellConfirmation}
          confirmLabel="Allow an unsandboxed shell"
          pending={save.isPending}
          error={save.error}
          onConfirm={(typed) => submit({ confirmation: autoRunTyped, unsandboxedShellConfirmation: typed })}
          onCancel={() => {
            setConfirming(null);
            save.reset();
          }}
        />
      ) : null}
    </>
  );
}
