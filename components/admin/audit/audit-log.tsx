"use client";
/** The audit log: filter by actor, action, target and time; page through; open an event; verify the chain. */
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { Fragment, useEffect, useState } from "react";
import { RunTraceLink } from "../../trace/run-trace-view";
import { type RouterInputs, useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { inputClass } from "../../ui/field";
import { formatDateTime } from "../../ui/format";
import { ErrorNotice } from "../../ui/notice";
import { ScrollPre } from "../../ui/scroll-box";
import { Badge, EmptyState, LoadingRows } from "../../ui/status";

type Filter = RouterInputs["admin"]["audit"]["list"];

const PAGE_SIZE = 25;

const ACTION_TONE: Record<string, "indigo" | "amber" | "rose" | "green" | "violet" | "slate"> = {
  policy: "indigo",
  approval: "amber",
  user: "violet",
  model: "green",
  secret: "rose",
};

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

function localInputToDate(value: string): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function AuditLog() {
  const trpc = useTRPC();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [targetType, setTargetType] = useState("");
  const [targetId, setTargetId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  // Cursors of the pages before the current one: "Newer" pops, "Older" pushes.
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const debouncedActor = useDebounced(actor, 300);
  const debouncedTarget = useDebounced(targetId, 300);
  const filterKey = JSON.stringify([debouncedActor, action, targetType, debouncedTarget, from, to]);
  // A new filter starts from the newest page.
  useEffect(() => setCursors([]), [filterKey]);

  const fromDate = localInputToDate(from);
  const toDate = localInputToDate(to);
  const filter: Filter = {
    ...(debouncedActor.trim() ? { actor: debouncedActor.trim() } : {}),
    ...(action ? { action } : {}),
    ...(targetType ? { targetType } : {}),
    ...(debouncedTarget.trim() ? { targetId: debouncedTarget.trim() } : {}),
    ...(fromDate ? { from: fromDate } : {}),
    ...(toDate ? { to: toDate } : {}),
    ...(cursors.length > 0 ? { cursor: cursors.at(-1) } : {}),
    limit: PAGE_SIZE,
  };
  const page = useQuery({ ...trpc.admin.audit.list.queryOptions(filter), placeholderData: keepPreviousData });
  const vocabulary = useQuery(trpc.admin.audit.vocabulary.queryOptions());
  const verify = useMutation(trpc.admin.audit.verify.mutationOptions());
  const prefixes = [...new Set((vocabulary.data?.actions ?? []).map((name) => `${name.split(".")[0]}.`))];
  const start = cursors.length * PAGE_SIZE;
  const filtered = Boolean(actor || action || targetType || targetId || from || to);

  function toggle(id: string) {
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  return (
    <div className="mx-auto max-w-6xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Audit log"
        description="Every decision, approval, execution and configuration change, each linked by hash to the one before it. Secret values were redacted before they were written."
        actions={
          <Button variant="primary" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? "Verifying…" : "Verify chain"}
          </Button>
        }
      />
      {verify.data ? (
        <p
          role="status"
          data-testid="chain-status"
          className={`rounded-lg border px-3.5 py-2.5 text-sm ${verify.data.ok ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-rose-200 bg-rose-50 text-rose-900"}`}
        >
          {verify.data.ok
            ? `Chain intact: all ${verify.data.events.toLocaleString("en")} events verified, each linked to the one before.`
            : `Chain broken at event #${verify.data.brokenAt}: ${verify.data.reason}.`}
        </p>
      ) : null}
      <ErrorNotice error={verify.error} />
      <Card>
        <div className="mb-4 grid grid-cols-2 gap-2 md:grid-cols-6">
          <input
            aria-label="Actor"
            placeholder="Actor name or email"
            value={actor}
            onChange={(event) => setActor(event.target.value)}
            className={inputClass}
          />
          <select
            aria-label="Action"
            value={action}
            onChange={(event) => setAction(event.target.value)}
            className={inputClass}
          >
            <option value="">Any action</option>
            {prefixes.map((prefix) => (
              <option key={prefix} value={prefix}>
                {prefix}* (all)
              </option>
            ))}
            {(vocabulary.data?.actions ?? []).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <select
            aria-label="Target type"
            value={targetType}
            onChange={(event) => setTargetType(event.target.value)}
            className={inputClass}
          >
            <option value="">Any target</option>
            {(vocabulary.data?.targetTypes ?? []).map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <input
            aria-label="Target id"
            placeholder="Target id contains"
            value={targetId}
            onChange={(event) => setTargetId(event.target.value)}
            className={inputClass}
          />
          <input
            aria-label="From"
            type="datetime-local"
            value={from}
            onChange={(event) => setFrom(event.target.value)}
            className={inputClass}
          />
          <input
            aria-label="To"
            type="datetime-local"
            value={to}
            onChange={(event) => setTo(event.target.value)}
            className={inputClass}
          />
        </div>
        <div className="mb-3 flex items-center gap-3 text-xs text-slate-500">
          <span data-testid="audit-count">
            {page.data
              ? page.data.total === 0
                ? "No events"
                : `${(start + 1).toLocaleString("en")}–${(start + page.data.events.length).toLocaleString("en")} of ${page.data.total.toLocaleString("en")} events`
              : "…"}
          </span>
          {filtered ? (
            <button
              type="button"
              className="text-indigo-700 hover:underline"
              onClick={() => {
                setActor("");
                setAction("");
                setTargetType("");
                setTargetId("");
                setFrom("");
                setTo("");
              }}
            >
              Clear filters
            </button>
          ) : null}
          <span className="ml-auto flex gap-2">
            <Button
              size="sm"
              disabled={cursors.length === 0}
              onClick={() => setCursors((current) => current.slice(0, -1))}
            >
              ← Newer
            </Button>
            <Button
              size="sm"
              disabled={!page.data?.nextCursor}
              onClick={() => {
                const next = page.data?.nextCursor;
                if (next) setCursors((current) => [...current, next]);
              }}
            >
              Older →
            </Button>
          </span>
        </div>
        <ErrorNotice error={page.error} />
        {page.isPending ? <LoadingRows rows={8} label="Loading events" /> : null}
        {page.data && page.data.events.length === 0 ? (
          <EmptyState
            title={filtered ? "No event matches these filters" : "Nothing recorded yet"}
            body={filtered ? "Widen the time range or clear a filter." : undefined}
          />
        ) : null}
        {page.data && page.data.events.length > 0 ? (
          <div className="overflow-x-auto">
            <table className={`w-full table-fixed text-left text-sm ${page.isPlaceholderData ? "opacity-60" : ""}`}>
              <thead>
                <tr className="border-b border-slate-200 text-xs text-slate-500">
                  <th className="w-8 py-2" />
                  <th className="w-44 py-2 pr-3 font-medium">Time</th>
                  <th className="w-52 py-2 pr-3 font-medium">Actor</th>
                  <th className="w-64 py-2 pr-3 font-medium">Action</th>
                  <th className="py-2 pr-3 font-medium">Target</th>
                  <th className="w-16 py-2 text-right font-medium">#</th>
                </tr>
              </thead>
              <tbody>
                {page.data.events.map((event) => {
                  const expanded = open.has(event.id);
                  return (
                    <Fragment key={event.id}>
                      <tr
                        data-testid="audit-row"
                        className={`cursor-pointer border-b border-slate-100 hover:bg-slate-50 ${expanded ? "bg-slate-50" : ""}`}
                        onClick={() => toggle(event.id)}
                      >
                        <td className="py-2 text-center">
                          <button
                            type="button"
                            aria-expanded={expanded}
                            aria-label={`${expanded ? "Hide" : "Show"} event ${event.id}`}
                            className="text-slate-500"
                            onClick={(click) => {
                              click.stopPropagation();
                              toggle(event.id);
                            }}
                          >
                            {expanded ? "▾" : "▸"}
                          </button>
                        </td>
                        <td className="py-2 pr-3 text-xs whitespace-nowrap text-slate-600">
                          {formatDateTime(event.createdAt)}
                        </td>
                        <td className="truncate py-2 pr-3">
                          {event.actor ? (
                            <span title={event.actor.email ?? event.actor.id}>
                              {event.actor.name ?? event.actor.id}
                            </span>
                          ) : (
                            <span className="text-slate-500">system</span>
                          )}
                        </td>
                        <td className="py-2 pr-3">
                          <Badge tone={ACTION_TONE[event.action.split(".")[0] ?? ""] ?? "slate"}>{event.action}</Badge>
                        </td>
                        <td className="truncate py-2 pr-3 text-xs text-slate-600">
                          {event.targetType}
                          {event.targetId ? (
                            <>
                              {" · "}
                              <code className="font-mono">{event.targetId}</code>
                              {event.targetType === "run" ? (
                                <RunTraceLink runId={event.targetId} className="ml-2 text-indigo-700 hover:underline" />
                              ) : null}
                            </>
                          ) : null}
                        </td>
                        <td className="py-2 text-right font-mono text-xs text-slate-500">{event.id}</td>
                      </tr>
                      {expanded ? (
                        <tr className="border-b border-slate-100 bg-slate-50">
                          <td />
                          <td colSpan={5} className="pb-3 pr-3">
                            <div className="grid gap-3 md:grid-cols-[1fr_18rem]">
                              <ScrollPre
                                testId="audit-data"
                                className="max-h-72 overflow-auto code-box rounded-lg p-3 font-mono text-xs leading-snug"
                              >
                                {JSON.stringify(event.data, null, 2)}
                              </ScrollPre>
                              <dl className="space-y-1.5 text-xs">
                                <div>
                                  <dt className="text-slate-500">Actor</dt>
                                  <dd>
                                    {event.actor
                                      ? `${event.actor.name ?? ""} <${event.actor.email ?? event.actor.id}>`
                                      : "system"}
                                  </dd>
                                </div>
                                <div>
                                  <dt className="text-slate-500">Hash</dt>
                                  <dd className="font-mono break-all">{event.hash}</dd>
                                </div>
                                <div>
                                  <dt className="text-slate-500">Previous hash</dt>
                                  <dd className="font-mono break-all">{event.prevHash}</dd>
                                </div>
                              </dl>
                            </div>
                          </td>
                        </tr>
                      ) : null}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
