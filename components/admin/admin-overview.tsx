"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

export function AdminOverview() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.admin.overview.queryOptions());
  const verify = useMutation(trpc.admin.verifyAudit.mutationOptions());
  return (
    <div className="mx-auto max-w-4xl space-y-6 p-8">
      <h1 className="text-xl font-semibold">Admin</h1>
      {overview.isPending ? <p className="text-slate-500">Loading…</p> : null}
      {overview.error ? (
        <p role="alert" className="text-rose-700">
          {overview.error.message}
        </p>
      ) : null}
      {overview.data ? (
        <div className="grid gap-4 md:grid-cols-2">
          <section className="rounded-xl border border-slate-200 bg-white p-5">
            <h2 className="font-semibold">System</h2>
            <dl className="mt-3 space-y-1 text-sm">
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
          </section>
          <section className="rounded-xl border border-slate-200 bg-white p-5">
            <h2 className="font-semibold">Models</h2>
            <ul className="mt-3 space-y-1 text-sm">
              {overview.data.models.map((model) => (
                <li key={model.id} className="flex justify-between">
                  <span>{model.label}</span>
                  {model.id === overview.data.defaultModelId ? (
                    <span className="text-xs font-medium text-indigo-700">default</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
          <section className="rounded-xl border border-slate-200 bg-white p-5 md:col-span-2">
            <h2 className="font-semibold">Audit chain</h2>
            <p className="mt-1 text-sm text-slate-600">
              Every consequential action is recorded in a hash chain; verification recomputes every link.
            </p>
            <button
              type="button"
              onClick={() => verify.mutate()}
              disabled={verify.isPending}
              className="mt-3 rounded-lg bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-60"
            >
              {verify.isPending ? "Verifying…" : "Verify now"}
            </button>
            {verify.data ? (
              <p role="status" className={`mt-3 text-sm ${verify.data.ok ? "text-emerald-700" : "text-rose-700"}`}>
                {verify.data.ok
                  ? `Intact: ${verify.data.events} events verified.`
                  : `Broken at event ${verify.data.brokenAt}: ${verify.data.reason}.`}
              </p>
            ) : null}
            {verify.error ? (
              <p role="alert" className="mt-3 text-sm text-rose-700">
                {verify.error.message}
              </p>
            ) : null}
          </section>
        </div>
      ) : null}
    </div>
  );
}
