"use client";
/** Users: search, invite with a temporary password, change role, deactivate, reset a password. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import type { Role } from "@/server/shared/risk";
import { ROLES } from "@/server/shared/risk";
import { inviteUserSchema, passwordSchema } from "@/server/shared/user-schemas";
import { type RouterOutputs, useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { Dialog } from "../../ui/dialog";
import { controlClass, Field, inputClass, invalidInputClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { type ClientError, ErrorNotice } from "../../ui/notice";
import { Badge, EmptyState, LoadingRows } from "../../ui/status";
import { generateTemporaryPassword } from "./temporary-password";

type AdminUser = RouterOutputs["admin"]["users"]["list"]["users"][number];

const PAGE_SIZE = 20;

const ROLE_TONE = { USER: "slate", REVIEWER: "amber", ADMIN: "indigo" } as const;

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

export function UsersConsole({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [role, setRole] = useState<Role | "">("");
  const [status, setStatus] = useState<"all" | "active" | "inactive">("all");
  const [page, setPage] = useState(1);
  const [inviting, setInviting] = useState(false);
  const [resetting, setResetting] = useState<AdminUser | null>(null);
  const [shared, setShared] = useState<{ email: string; password: string; what: string } | null>(null);
  const debouncedSearch = useDebounced(search, 250);
  useEffect(() => setPage(1), [debouncedSearch, role, status]);

  const list = useQuery({
    ...trpc.admin.users.list.queryOptions({
      ...(debouncedSearch ? { search: debouncedSearch } : {}),
      ...(role ? { role } : {}),
      status,
      page,
      pageSize: PAGE_SIZE,
    }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.users.pathKey() });
  // The outcome of the latest row action only: an older refusal must not hide a newer one.
  const [actionError, setActionError] = useState<ClientError | null>(null);
  const rowAction = {
    onMutate: () => setActionError(null),
    onError: (error: ClientError) => setActionError(error),
    onSettled: refresh,
  };
  const changeRole = useMutation(trpc.admin.users.changeRole.mutationOptions(rowAction));
  const setActive = useMutation(trpc.admin.users.setActive.mutationOptions(rowAction));
  const total = list.data?.total ?? 0;
  const from = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const to = Math.min(total, page * PAGE_SIZE);

  return (
    <div className="mx-auto max-w-6xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Users"
        description={
          <>
            Roles decide who may chat, who reviews, and who configures Airlock. Changes apply to the person's next
            request, whatever their session says. There {list.data?.activeAdmins === 1 ? "is" : "are"}{" "}
            <strong>{list.data?.activeAdmins ?? "…"}</strong> active admin{list.data?.activeAdmins === 1 ? "" : "s"}
            {" — "}the last one can be neither demoted nor deactivated.
          </>
        }
        actions={
          <Button variant="primary" onClick={() => setInviting(true)}>
            Invite user
          </Button>
        }
      />
      {shared ? (
        <div
          role="status"
          className="flex items-start gap-4 rounded-xl border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm"
        >
          <div className="flex-1">
            <p className="font-semibold text-emerald-900">{shared.what}</p>
            <p className="mt-1 text-emerald-900">
              Give these to the person over a trusted channel. They will be asked to choose their own password; this one
              is not shown again.
            </p>
            <p className="mt-2 font-mono text-emerald-950">
              {shared.email} · <span data-testid="temporary-password">{shared.password}</span>
            </p>
          </div>
          <Button size="sm" onClick={() => setShared(null)}>
            Done
          </Button>
        </div>
      ) : null}
      <Card>
        <div className="mb-4 flex flex-wrap items-center gap-2">
          <input
            type="search"
            aria-label="Search users"
            placeholder="Search by name or email"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            className={`${controlClass} w-80`}
          />
          <select
            aria-label="Role filter"
            value={role}
            onChange={(event) => setRole(event.target.value as Role | "")}
            className={`${controlClass} w-40`}
          >
            <option value="">Any role</option>
            {ROLES.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
          <select
            aria-label="Status filter"
            value={status}
            onChange={(event) => setStatus(event.target.value as typeof status)}
            className={`${controlClass} w-44`}
          >
            <option value="all">Active and not</option>
            <option value="active">Active</option>
            <option value="inactive">Deactivated</option>
          </select>
          <span className="ml-auto text-xs text-slate-500">{list.data ? `${from}–${to} of ${total}` : ""}</span>
        </div>
        <div className="space-y-3">
          <ErrorNotice error={list.error} />
          <ErrorNotice
            error={actionError}
            onReload={() => {
              setActionError(null);
              void refresh();
            }}
            onDismiss={() => setActionError(null)}
          />
          {list.isPending ? <LoadingRows rows={5} label="Loading users" /> : null}
          {list.data && list.data.users.length === 0 ? (
            <EmptyState
              title={search || role || status !== "all" ? "No user matches these filters" : "No users yet"}
              body={search ? `Nobody's name or email contains “${search}”.` : undefined}
            />
          ) : null}
          {list.data && list.data.users.length > 0 ? (
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead>
                  <tr className="border-b border-slate-200 text-xs text-slate-500">
                    <th className="py-2 pr-3 font-medium">Person</th>
                    <th className="py-2 pr-3 font-medium">Role</th>
                    <th className="py-2 pr-3 font-medium">Status</th>
                    <th className="py-2 pr-3 font-medium">Created</th>
                    <th className="py-2 font-medium">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.users.map((user) => (
                    <tr
                      key={user.id}
                      className="border-b border-slate-100 align-middle"
                      data-testid="user-row"
                      data-email={user.email}
                    >
                      <td className="py-2.5 pr-3">
                        <span className="block font-medium">
                          {user.name}
                          {user.id === meId ? (
                            <span className="ml-2 text-xs font-normal text-slate-500">(you)</span>
                          ) : null}
                        </span>
                        <span className="block text-xs text-slate-500">{user.email}</span>
                      </td>
                      <td className="py-2.5 pr-3">
                        <select
                          aria-label={`Role of ${user.email}`}
                          value={user.role}
                          disabled={changeRole.isPending || !user.active}
                          onChange={(event) =>
                            changeRole.mutate({
                              userId: user.id,
                              role: event.target.value as Role,
                              expectedVersion: user.version,
                            })
                          }
                          className={`${controlClass} w-36 py-1`}
                        >
                          {ROLES.map((option) => (
                            <option key={option} value={option}>
                              {option}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td className="space-x-1.5 py-2.5 pr-3">
                        {user.active ? <Badge tone="green">Active</Badge> : <Badge tone="rose">Deactivated</Badge>}
                        {user.passwordTemporary ? <Badge tone="amber">temporary password</Badge> : null}
                        {user.role === "ADMIN" ? <Badge tone={ROLE_TONE.ADMIN}>admin</Badge> : null}
                      </td>
                      <td className="py-2.5 pr-3 text-xs text-slate-500">{formatDateTime(user.createdAt)}</td>
                      <td className="py-2.5 text-right whitespace-nowrap">
                        <Button size="sm" variant="ghost" onClick={() => setResetting(user)}>
                          Reset password
                        </Button>
                        <Button
                          size="sm"
                          variant={user.active ? "ghost" : "secondary"}
                          className={user.active ? "text-rose-700" : ""}
                          disabled={setActive.isPending || user.id === meId}
                          title={user.id === meId ? "Ask another admin to deactivate your account" : undefined}
                          onClick={() =>
                            setActive.mutate({ userId: user.id, active: !user.active, expectedVersion: user.version })
                          }
                        >
                          {user.active ? "Deactivate" : "Reactivate"}
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {total > PAGE_SIZE ? (
            <div className="flex items-center justify-end gap-2">
              <Button size="sm" disabled={page === 1} onClick={() => setPage((current) => current - 1)}>
                Previous
              </Button>
              <span className="text-xs text-slate-500">
                Page {page} of {Math.ceil(total / PAGE_SIZE)}
              </span>
              <Button size="sm" disabled={to >= total} onClick={() => setPage((current) => current + 1)}>
                Next
              </Button>
            </div>
          ) : null}
        </div>
      </Card>
      {inviting ? (
        <InviteDialog
          onClose={() => setInviting(false)}
          onInvited={(email, password) => {
            setInviting(false);
            setShared({ email, password, what: `Invited ${email}` });
            void refresh();
          }}
        />
      ) : null}
      {resetting ? (
        <ResetPasswordDialog
          user={resetting}
          onClose={() => setResetting(null)}
          onReset={(password) => {
            setShared({ email: resetting.email, password, what: `New temporary password for ${resetting.email}` });
            setResetting(null);
            void refresh();
          }}
        />
      ) : null}
    </div>
  );
}

function InviteDialog({
  onClose,
  onInvited,
}: {
  onClose: () => void;
  onInvited: (email: string, password: string) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [form, setForm] = useState({
    email: "",
    name: "",
    role: "USER" as Role,
    temporaryPassword: generateTemporaryPassword(),
  });
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const invite = useMutation(
    trpc.admin.users.create.mutationOptions({
      onSuccess: (user) => onInvited(user.email, form.temporaryPassword),
    }),
  );
  const parsed = inviteUserSchema.safeParse(form);
  const errorFor = (field: keyof typeof form) =>
    !parsed.success && (submitted || touched.has(field))
      ? parsed.error.issues.find((issue) => issue.path[0] === field)?.message
      : undefined;
  const set = (field: keyof typeof form, value: string) => {
    setForm((current) => ({ ...current, [field]: value }));
    setTouched((current) => new Set(current).add(field));
  };

  return (
    <Dialog
      title="Invite a user"
      description="They sign in with a temporary password and are asked to choose their own."
      onClose={onClose}
    >
      <form
        noValidate
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          setSubmitted(true);
          if (parsed.success) invite.mutate(parsed.data);
        }}
      >
        <Field label="Email" htmlFor={`${id}-email`} error={errorFor("email")}>
          <input
            id={`${id}-email`}
            type="email"
            value={form.email}
            onChange={(event) => set("email", event.target.value)}
            className={`${inputClass} ${errorFor("email") ? invalidInputClass : ""}`}
          />
        </Field>
        <Field label="Name" htmlFor={`${id}-name`} error={errorFor("name")}>
          <input
            id={`${id}-name`}
            value={form.name}
            onChange={(event) => set("name", event.target.value)}
            className={`${inputClass} ${errorFor("name") ? invalidInputClass : ""}`}
          />
        </Field>
        <Field label="Role" htmlFor={`${id}-role`}>
          <select
            id={`${id}-role`}
            value={form.role}
            onChange={(event) => set("role", event.target.value)}
            className={inputClass}
          >
            <option value="USER">USER — chats with the agent</option>
            <option value="REVIEWER">REVIEWER — also approves actions</option>
            <option value="ADMIN">ADMIN — also configures Airlock</option>
          </select>
        </Field>
        <Field
          label="Temporary password"
          htmlFor={`${id}-password`}
          error={errorFor("temporaryPassword")}
          hint="Generated for you; you can type your own."
        >
          <div className="flex gap-2">
            <input
              id={`${id}-password`}
              value={form.temporaryPassword}
              onChange={(event) => set("temporaryPassword", event.target.value)}
              className={`${inputClass} font-mono ${errorFor("temporaryPassword") ? invalidInputClass : ""}`}
            />
            <Button onClick={() => set("temporaryPassword", generateTemporaryPassword())}>Generate</Button>
          </div>
        </Field>
        <ErrorNotice error={invite.error} />
        <div className="flex justify-end gap-2 pt-1">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={invite.isPending || (submitted && !parsed.success)}>
            {invite.isPending ? "Inviting…" : "Invite"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

function ResetPasswordDialog({
  user,
  onClose,
  onReset,
}: {
  user: AdminUser;
  onClose: () => void;
  onReset: (password: string) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const [password, setPassword] = useState(generateTemporaryPassword);
  const reset = useMutation(trpc.admin.users.resetPassword.mutationOptions({ onSuccess: () => onReset(password) }));
  const parsed = passwordSchema.safeParse(password);
  return (
    <Dialog
      title={`Reset the password of ${user.name}`}
      description="Their current password stops working at once; they choose a new one after signing in with this."
      onClose={onClose}
    >
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          if (parsed.success)
            reset.mutate({ userId: user.id, temporaryPassword: password, expectedVersion: user.version });
        }}
      >
        <Field
          label="Temporary password"
          htmlFor={`${id}-password`}
          error={parsed.success ? undefined : parsed.error.issues[0]?.message}
        >
          <div className="flex gap-2">
            <input
              id={`${id}-password`}
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              className={`${inputClass} font-mono`}
            />
            <Button onClick={() => setPassword(generateTemporaryPassword())}>Generate</Button>
          </div>
        </Field>
        <ErrorNotice error={reset.error} />
        <div className="flex justify-end gap-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="danger" disabled={!parsed.success || reset.isPending}>
            {reset.isPending ? "Resetting…" : "Reset password"}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
