"use client";
/** The admin overview's live figures (the whole system's, from the database), refreshed every few seconds. */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc";
import { formatDuration } from "./run-trace-view";

function Figure({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="rounded-lg border border-slate-200 px-4 py-3" data-testid="live-figure">
      <span className="block text-2xl font-semibold tabular-nums">{value}</span>
      <span className="block text-xs text-slate-500">{label}</span>
    </div>
  );
}

export function LiveFigures() {
  const trpc = useTRPC();
  const figures = useQuery({ ...trpc.observability.liveFigures.queryOptions(), refetchInterval: 5_000 });
  if (!figures.data) return null;
  const data = figures.data;
  return (
    <section className="grid grid-cols-2 gap-3 md:grid-cols-4" aria-label="Live figures">
      <Figure label="pending approvals" value={data.pendingApprovals} />
      <Figure
        label="oldest pending"
        value={data.pendingApprovals > 0 ? formatDuration(data.oldestPendingSeconds * 1000) : "—"}
      />
      <Figure label="runs in flight" value={data.runsInFlight} />
      <Figure
        label={`failure rate, last hour (${data.failedLastHour}/${data.finishedLastHour})`}
        value={data.failureRateLastHour === null ? "—" : `${Math.round(data.failureRateLastHour * 100)} %`}
      />
    </section>
  );
}
