"use client";
/**
 * The run trace view: a waterfall of a run's steps, model calls, policy decisions, tool
 * calls and approval waits, with timings, tokens and outcomes — from what Airlock stores.
 */
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../trpc";

type RunTrace = inferRouterOutputs<AppRouter>["observability"]["runTrace"];
type Item = RunTrace["items"][number];

const BAR: Record<Item["kind"], string> = {
  run: "bg-slate-400",
  step: "bg-indigo-400",
  model: "bg-violet-500",
  policy: "bg-amber-500",
  tool: "bg-emerald-500",
  approval: "bg-sky-400",
};

const FAILED = new Set([
  "FAILED",
  "REFUSED",
  "DENY",
  "INVALID",
  "UNKNOWN_OUTCOME",
  "REJECTED",
  "EXPIRED",
  "CANCELLED",
  "VOIDED",
]);

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1_000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

function depthOf(item: Item, byId: Map<string, Item>): number {
  let depth = 0;
  let parent = item.parentId ? byId.get(item.parentId) : undefined;
  while (parent) {
    depth++;
    parent = parent.parentId ? byId.get(parent.parentId) : undefined;
  }
  return depth;
}

function Row({ item, depth, totalMs }: { item: Item; depth: number; totalMs: number }) {
  const left = totalMs > 0 ? (item.startMs / totalMs) * 100 : 0;
  const width = totalMs > 0 ? Math.max(((item.endMs - item.startMs) / totalMs) * 100, 0.4) : 100;
  const failed = FAILED.has(item.status);
  return (
    <li
      className="grid grid-cols-[minmax(14rem,20rem)_1fr] items-center gap-3 border-b border-slate-100 py-1.5 text-sm"
      data-testid="trace-row"
      data-kind={item.kind}
    >
      <div className="min-w-0" style={{ paddingLeft: `${depth * 0.9}rem` }}>
        <div className="flex items-baseline gap-2">
          <span className="truncate font-medium">{item.label}</span>
          <span
            className={`shrink-0 rounded px-1.5 text-[11px] ${failed ? "bg-rose-100 text-rose-800" : "bg-slate-100 text-slate-700"}`}
          >
            {item.status}
          </span>
        </div>
        {item.details.length > 0 ? (
          <div className="truncate text-xs text-slate-500">{item.details.join(" · ")}</div>
        ) : null}
      </div>
      <div className="relative h-5 rounded bg-slate-50">
        <div
          className={`absolute top-0.5 h-4 rounded ${failed ? "bg-rose-500" : BAR[item.kind]} ${item.open ? "opacity-60" : ""}`}
          style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }}
          title={`${item.label}: ${formatDuration(item.endMs - item.startMs)}`}
        />
        <span className="absolute right-1 top-0 text-[11px] leading-5 text-slate-600 tabular-nums">
          {item.kind === "policy" ? `at ${formatDuration(item.startMs)}` : formatDuration(item.endMs - item.startMs)}
          {item.open ? " · waiting" : ""}
        </span>
      </div>
    </li>
  );
}

export function RunTraceView({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const trace = useQuery({ ...trpc.observability.runTrace.queryOptions({ runId }), refetchInterval: 5_000 });
  if (trace.isPending) return <p className="p-6 text-sm text-slate-500">Loading the trace…</p>;
  if (trace.error)
    return (
      <p role="alert" className="p-6 text-sm text-rose-700">
        {trace.error.message}
      </p>
    );
  const { run, items, totalMs } = trace.data;
  const byId = new Map(items.map((item) => [item.id, item]));
  const tokens = items
    .filter((item) => item.kind === "model")
    .map((item) => item.details.slice(0, 2).map((detail) => Number.parseInt(detail, 10) || 0));
  const tokensIn = tokens.reduce((sum, [input = 0]) => sum + input, 0);
  const tokensOut = tokens.reduce((sum, [, output = 0]) => sum + output, 0);
  const waits = items.filter((item) => item.kind === "approval");
  return (
    <div className="mx-auto max-w-6xl space-y-4 p-6">
      <header className="space-y-1">
        <h1 className="text-lg font-semibold">Run trace</h1>
        <p className="text-sm text-slate-600">
          <span className="font-mono text-xs">{run.id}</span> · {run.status} · {run.modelId} · {formatDuration(totalMs)}{" "}
          · {tokensIn} tokens in / {tokensOut} out · {waits.length} approval wait{waits.length === 1 ? "" : "s"}
          {run.traceId ? (
            <>
              {" "}
              · trace id{" "}
              <span className="font-mono text-xs" data-testid="trace-id">
                {run.traceId}
              </span>
            </>
          ) : null}
        </p>
        {run.error ? <p className="text-sm text-rose-700">{run.error}</p> : null}
        <Link href={`/chat/${run.conversationId}`} className="text-sm text-indigo-700 hover:underline">
          Open the conversation
        </Link>
      </header>
      <div className="flex flex-wrap gap-3 text-xs text-slate-600">
        {(Object.keys(BAR) as Item["kind"][]).map((kind) => (
          <span key={kind} className="flex items-center gap-1">
            <span className={`inline-block h-2.5 w-2.5 rounded ${BAR[kind]}`} /> {kind}
          </span>
        ))}
      </div>
      <ol className="rounded-lg border border-slate-200 bg-white px-3" aria-label="Waterfall">
        {items.map((item) => (
          <Row key={item.id} item={item} depth={depthOf(item, byId)} totalMs={totalMs} />
        ))}
      </ol>
    </div>
  );
}

/** The link to a run's trace, for the chat, the inbox and the audit log. */
export function RunTraceLink({ runId, className }: { runId: string; className?: string }) {
  return (
    <Link
      href={`/runs/${runId}/trace`}
      className={className ?? "text-xs text-indigo-700 hover:underline"}
      data-testid="run-trace-link"
    >
      Trace
    </Link>
  );
}
