"use client";
/** The console's front page: health, models, policy at a glance, and the audit chain. */
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { LiveFigures } from "../trace/live-figures";
import { useTRPC } from "../trpc";
import { Button } from "../ui/button";
import { Card, PageHeader } from "../ui/card";
import { ErrorNotice } from "../ui/notice";

function Stat({ label, value, href }: { label: string; value: string | number; href: string }) {
  return (
    <Link
      href={href}
      className="block rounded-lg border border-slate-200 px-4 py-3 hover:border-slate-300 hover:bg-slate-50"
    >
      <span className="block text-2xl font-semibold tabular-nums">{value}</span>
      <span className="block text-xs text-slate-500">{label}</span>
    </Link>
  );
}

export function AdminOverview() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.admin.overview.queryOptions());
  const tools = useQuery(trpc.admin.tools.list.queryOptions());
  const rules = useQuery(trpc.admin.rules.list.queryOptions());
  const verify = useMutation(trpc.admin.verifyAudit.mutationOptions());
  const overridden = tools.data?.filter((tool) => tool.override).length;
  return (
    <div className="mx-auto max-w-5xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Admin"
        description="Decide what the agent may do: tools' risk classes and rules, who reviews, which models run, and the audit trail of every change."
      />
      {overview.isPending ? <p className="text-sm text-slate-500">Loading…</p> : null}
      <ErrorNotice error={overview.error} />
      {overview.data ? (
        <>
          <LiveFigures />
          <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
            <Stat label="tools" value={tools.data?.length ?? "…"} href="/admin/tools" />
            <Stat label="class overrides" value={overridden ?? "…"} href="/admin/tools" />
            <Stat label="policy rules" value={rules.data?.rules.length ?? "…"} href="/admin/tools?tool=__rules" />
            <Stat label="active admins" value={overview.data.activeAdmins} href="/admin/users" />
          </div>
          <div className="grid gap-5 md:grid-cols-2">
            <Card title="System">
              <dl className="space-y-1.5 text-sm">
                <div className="flex justify-between">
                  <dt className="text-slate-600">App</dt>
                  <dd>{overview.data.health.app.status}</dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-600">Database</dt>
                  <dd>
                    {overview.data.health.database.status}
                    {overview.data.health.database.latencyMs !== undefined
                      ? ` · ${overview.data.health.database.latencyMs} ms`
                      : ""}
                  </dd>
                </div>
                <div className="flex justify-between">
                  <dt className="text-slate-600">Uptime</dt>
                  <dd>{overview.data.health.app.uptimeSeconds} s</dd>
                </div>
              </dl>
            </Card>
            <Card
              title="Models"
              actions={
                <Link href="/admin/models" className="text-xs font-medium text-indigo-700 hover:underline">
                  Manage
                </Link>
              }
            >
              <ul className="space-y-1.5 text-sm">
                {overview.data.models.map((model) => (
                  <li key={model.id} className="flex justify-between gap-3">
                    <span>{model.label}</span>
                    {model.id === overview.data.defaultModelId ? (
                      <span className="text-xs font-medium text-indigo-700">default</span>
                    ) : null}
                  </li>
                ))}
              </ul>
            </Card>
          </div>
          <Card
            title="Audit chain"
            description="Every consequential action is recorded in a hash chain; verification recomputes every link."
            actions={
              <Link href="/admin/audit" className="text-xs font-medium text-indigo-700 hover:underline">
                Open the log
              </Link>
            }
          >
            <div className="flex flex-wrap items-center gap-3">
              <Button variant="primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
                {verify.isPending ? "Verifying…" : "Verify now"}
              </Button>
              {verify.data ? (
                <p role="status" className={`text-sm ${verify.data.ok ? "text-emerald-700" : "text-rose-700"}`}>
                  {verify.data.ok
                    ? `Intact: ${verify.data.events} events verified.`
                    : `Broken at event ${verify.data.brokenAt}: ${verify.data.reason}.`}
                </p>
              ) : null}
            </div>
            {verify.error ? (
              <p role="alert" className="mt-3 text-sm text-rose-700">
                {verify.error.message}
              </p>
            ) : null}
          </Card>
        </>
      ) : null}
    </div>
  );
}
