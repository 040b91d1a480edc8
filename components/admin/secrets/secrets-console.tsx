"use client";
/** Secrets for read_secret: names and dates are shown; values go in encrypted and never come back. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { secretName, secretValue } from "@/server/shared/secret-schemas";
import { type RouterOutputs, useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { Dialog } from "../../ui/dialog";
import { Field, inputClass, invalidInputClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice, SuccessNotice } from "../../ui/notice";
import { EmptyState, LoadingRows } from "../../ui/status";

type Secret = RouterOutputs["admin"]["secrets"]["list"][number];

export function SecretsConsole() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const secrets = useQuery(trpc.admin.secrets.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.secrets.pathKey() });
  const [editing, setEditing] = useState<{ name: string | null } | null>(null);
  const [deleting, setDeleting] = useState<Secret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const remove = useMutation(
    trpc.admin.secrets.delete.mutationOptions({
      onSuccess: async (_data, variables) => {
        setDeleting(null);
        setNotice(`Deleted ${variables.name}.`);
        await refresh();
      },
    }),
  );

  return (
    <div className="mx-auto max-w-4xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Secrets"
        description="Values the read_secret tool can release after a reviewer approves. They are encrypted with SECRETS_KEY (AES-256-GCM); nobody — not even an admin — can read one back here. Replace a value to rotate it."
        actions={
          <Button variant="primary" onClick={() => setEditing({ name: null })}>
            Add secret
          </Button>
        }
      />
      {notice ? <SuccessNotice>{notice}</SuccessNotice> : null}
      <Card>
        <ErrorNotice error={secrets.error} />
        {secrets.isPending ? <LoadingRows rows={3} label="Loading secrets" /> : null}
        {secrets.data && secrets.data.length === 0 ? (
          <EmptyState
            title="No secrets stored"
            body="Add one, e.g. STRIPE_API_KEY; the agent can then ask for it with read_secret and a reviewer decides."
          />
        ) : null}
        {secrets.data && secrets.data.length > 0 ? (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead>
                <tr className="border-b border-slate-200 text-xs text-slate-500">
                  <th className="py-2 pr-3 font-medium">Name</th>
                  <th className="py-2 pr-3 font-medium">Value</th>
                  <th className="py-2 pr-3 font-medium">Last set</th>
                  <th className="py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {secrets.data.map((secret) => (
                  <tr key={secret.name} className="border-b border-slate-100" data-testid="secret-row">
                    <td className="py-2.5 pr-3 font-mono font-medium">{secret.name}</td>
                    <td className="py-2.5 pr-3 font-mono text-slate-500">••••••••</td>
                    <td className="py-2.5 pr-3 text-xs text-slate-500">{formatDateTime(secret.updatedAt)}</td>
                    <td className="py-2.5 text-right whitespace-nowrap">
                      <Button size="sm" variant="ghost" onClick={() => setEditing({ name: secret.name })}>
                        Replace value
                      </Button>
                      <Button size="sm" variant="ghost" className="text-rose-700" onClick={() => setDeleting(secret)}>
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>
      {editing ? (
        <SecretDialog
          name={editing.name}
          onClose={() => setEditing(null)}
          onSaved={async (message) => {
            setEditing(null);
            setNotice(message);
            await refresh();
          }}
        />
      ) : null}
      {deleting ? (
        <Dialog title={`Delete ${deleting.name}?`} onClose={() => setDeleting(null)}>
          <p className="text-sm">
            read_secret calls for <code className="font-mono">{deleting.name}</code> will fail. The deletion is audited.
          </p>
          <div className="mt-3">
            <ErrorNotice error={remove.error} />
          </div>
          <div className="mt-4 flex justify-end gap-2">
            <Button onClick={() => setDeleting(null)}>Cancel</Button>
            <Button variant="danger" disabled={remove.isPending} onClick={() => remove.mutate({ name: deleting.name })}>
              {remove.isPending ? "Deleting…" : "Delete secret"}
            </Button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}

function SecretDialog({
  name: fixedName,
  onClose,
  onSaved,
}: {
  name: string | null;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [name, setName] = useState(fixedName ?? "");
  const [value, setValue] = useState("");
  const [touched, setTouched] = useState(false);
  const save = useMutation(
    trpc.admin.secrets.set.mutationOptions({
      onSuccess: (result) =>
        onSaved(result.created ? `Stored ${name}. Its value cannot be shown again.` : `Replaced the value of ${name}.`),
    }),
  );
  const nameCheck = secretName.safeParse(name);
  const valueCheck = secretValue.safeParse(value);
  return (
    <Dialog
      title={fixedName ? `Replace the value of ${fixedName}` : "Add a secret"}
      description="The value is encrypted before it is stored and is never displayed again."
      onClose={onClose}
    >
      <form
        noValidate
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          setTouched(true);
          if (nameCheck.success && valueCheck.success) save.mutate({ name, value });
        }}
      >
        <Field
          label="Name"
          htmlFor={`${id}-name`}
          error={(name || touched) && !nameCheck.success ? nameCheck.error.issues[0]?.message : undefined}
        >
          <input
            id={`${id}-name`}
            value={name}
            disabled={fixedName !== null}
            placeholder="STRIPE_API_KEY"
            onChange={(event) => setName(event.target.value.toUpperCase())}
            className={`${inputClass} font-mono ${(name || touched) && !nameCheck.success ? invalidInputClass : ""}`}
          />
        </Field>
        <Field
          label="Value"
          htmlFor={`${id}-value`}
          error={touched && !valueCheck.success ? valueCheck.error.issues[0]?.message : undefined}
        >
          <input
            id={`${id}-value`}
            type="password"
            autoComplete="new-password"
            value={value}
            onChange={(event) => setValue(event.target.value)}
            className={`${inputClass} font-mono`}
          />
        </Field>
        <ErrorNotice error={save.error} />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : fixedName ? "Replace value" : "Store secret"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
