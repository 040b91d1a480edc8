"use client";
/**
 * The user's API tokens (for the HTTP API and the MCP gateway): create one with a name and
 * an expiry — its secret is shown once, with a copy button — list them with when they were
 * created and last used, and revoke one after a confirmation.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { API_TOKEN_MAX_DAYS, createApiTokenSchema } from "@/server/shared/api-token-schemas";
import { useTRPC } from "../trpc";
import { Button } from "../ui/button";
import { ConfirmDialog } from "../ui/dialog";
import { Field, inputClass, invalidInputClass } from "../ui/field";
import { formatDateTime } from "../ui/format";
import { ErrorNotice } from "../ui/notice";
import { Badge, type BadgeTone, EmptyState, LoadingRows } from "../ui/status";

const EXPIRY_CHOICES = [7, 30, 90, 365] as const;

interface TokenRow {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function stateOf(token: TokenRow, now: number): { label: string; tone: BadgeTone } {
  if (token.revokedAt) return { label: "Revoked", tone: "rose" };
  if (new Date(token.expiresAt).getTime() <= now) return { label: "Expired", tone: "amber" };
  return { label: "Active", tone: "green" };
}

function ShownOnce({ token, onDone }: { token: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"copied" | "failed" | null>(null);
  return (
    <div role="status" className="mt-4 rounded-lg border border-emerald-300 bg-emerald-50 p-4">
      <p className="text-sm font-medium text-emerald-900">
        Copy your new token now. It is shown only this once: Airlock keeps only its hash.
      </p>
      <div className="mt-2 flex items-center gap-2">
        <code data-testid="new-api-token" className="min-w-0 flex-1 break-all rounded bg-white px-2 py-1 text-xs">
          {token}
        </code>
        <Button
          size="sm"
          onClick={() =>
            navigator.clipboard.writeText(token).then(
              () => setCopied("copied"),
              () => setCopied("failed"),
            )
          }
        >
          {copied === "copied" ? "Copied" : "Copy"}
        </Button>
      </div>
      {copied === "failed" ? (
        <p className="mt-1 text-xs text-rose-700">The browser refused the clipboard: select the token and copy it.</p>
      ) : null}
      <Button size="sm" variant="ghost" className="mt-2" onClick={onDone}>
        I have copied it
      </Button>
    </div>
  );
}

export function ApiTokens() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [form, setForm] = useState({ name: "", expiresInDays: 30 });
  const [submitted, setSubmitted] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<TokenRow | null>(null);
  const list = useQuery(trpc.apiTokens.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.pathKey() });
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: (created) => {
        setShown(created.token);
        setForm({ name: "", expiresInDays: 30 });
        setSubmitted(false);
        void refresh();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSuccess: () => {
        setRevoking(null);
        void refresh();
      },
    }),
  );
  const parsed = createApiTokenSchema.safeParse(form);
  const nameError =
    !parsed.success && submitted ? parsed.error.issues.find((issue) => issue.path[0] === "name")?.message : undefined;
  const now = Date.now();

  return (
    <section className="mx-auto max-w-2xl px-8 pb-8" aria-labelledby={`${id}-heading`}>
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-xs">
        <h2 id={`${id}-heading`} className="text-base font-semibold">
          API tokens
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          For scripts, services and outside agents (the HTTP API and the MCP gateway). A token acts as you, with your
          current role; its calls pass the same policy and approvals as your chats. &ldquo;Sign out everywhere&rdquo;
          does not end tokens: revoke them here.
        </p>
        <form
          noValidate
          className="mt-4 flex flex-wrap items-end gap-3"
          onSubmit={(event) => {
            event.preventDefault();
            setSubmitted(true);
            if (parsed.success) create.mutate(parsed.data);
          }}
        >
          <Field label="Name" htmlFor={`${id}-name`} error={nameError} className="min-w-48 flex-1">
            <input
              id={`${id}-name`}
              value={form.name}
              placeholder="e.g. CI deploys"
              maxLength={100}
              onChange={(event) => setForm((current) => ({ ...current, name: event.target.value }))}
              className={`${inputClass} ${nameError ? invalidInputClass : ""}`}
            />
          </Field>
          <Field label="Expires after" htmlFor={`${id}-expiry`}>
            <select
              id={`${id}-expiry`}
              value={form.expiresInDays}
              onChange={(event) => setForm((current) => ({ ...current, expiresInDays: Number(event.target.value) }))}
              className={inputClass}
            >
              {EXPIRY_CHOICES.map((days) => (
                <option key={days} value={days}>
                  {days === API_TOKEN_MAX_DAYS ? "1 year" : `${days} days`}
                </option>
              ))}
            </select>
          </Field>
          <Button type="submit" variant="primary" disabled={create.isPending}>
            {create.isPending ? "Creating…" : "Create token"}
          </Button>
        </form>
        <ErrorNotice error={create.error} />
        {shown ? <ShownOnce token={shown} onDone={() => setShown(null)} /> : null}

        <div className="mt-6">
          {list.isPending ? (
            <LoadingRows rows={2} label="Loading tokens…" />
          ) : list.error ? (
            <ErrorNotice error={list.error} />
          ) : list.data.length === 0 ? (
            <EmptyState title="No API tokens yet" body="Create one above to call Airlock from another system." />
          ) : (
            <table className="w-full text-left text-sm">
              <thead className="text-xs text-slate-500">
                <tr>
                  <th className="py-1 pr-3 font-medium">Name</th>
                  <th className="py-1 pr-3 font-medium">Token</th>
                  <th className="py-1 pr-3 font-medium">Created</th>
                  <th className="py-1 pr-3 font-medium">Last used</th>
                  <th className="py-1 pr-3 font-medium">Expires</th>
                  <th className="py-1 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((token) => {
                  const state = stateOf(token, now);
                  return (
                    <tr key={token.id} className="border-t border-slate-100" data-testid="api-token-row">
                      <td className="py-2 pr-3 font-medium">{token.name}</td>
                      <td className="py-2 pr-3">
                        <code className="text-xs">{token.prefix}…</code>
                      </td>
                      <td className="py-2 pr-3 text-slate-600">{formatDateTime(token.createdAt)}</td>
                      <td className="py-2 pr-3 text-slate-600">
                        {token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "Never"}
                      </td>
                      <td className="py-2 pr-3 text-slate-600">{formatDateTime(token.expiresAt)}</td>
                      <td className="py-2 text-right">
                        {state.label === "Active" ? (
                          <Button size="sm" variant="danger" onClick={() => setRevoking(token)}>
                            Revoke
                          </Button>
                        ) : (
                          <Badge tone={state.tone}>{state.label}</Badge>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          body="Every system using this token is refused from its next request. This cannot be undone."
          confirmLabel="Yes, revoke it"
          pendingLabel="Revoking…"
          pending={revoke.isPending}
          error={revoke.error}
          onConfirm={() => revoke.mutate({ tokenId: revoking.id })}
          onCancel={() => setRevoking(null)}
        />
      ) : null}
    </section>
  );
}
