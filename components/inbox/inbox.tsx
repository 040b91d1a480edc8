"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import type { RiskClass } from "@/server/shared/risk";
import { useKeyboardShortcuts } from "../hooks/use-keyboard-shortcuts";
import { type RouterInputs, type RouterOutputs, useTRPC } from "../trpc";
import { RequestDetail } from "./request-detail";
import { RiskBadge, timeAgo } from "./risk-badge";

type Filter = RouterInputs["approvals"]["list"];
type Item = RouterOutputs["approvals"]["list"][number];
type BatchResult = RouterOutputs["approvals"]["decideMany"];

const VIEWS = {
  pending: { label: "Pending", statuses: ["PENDING"] },
  history: { label: "History", statuses: ["APPROVED", "CONSUMED", "REJECTED", "EXPIRED", "CANCELLED", "VOIDED"] },
} as const;

const AGES = [
  { label: "Any age", value: "" },
  { label: "Older than 1 h", value: "60" },
  { label: "Older than 1 day", value: "1440" },
];

export function Inbox({ meId }: { meId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const params = useSearchParams();
  const [view, setView] = useState<keyof typeof VIEWS>("pending");
  const [riskClass, setRiskClass] = useState<RiskClass | "">("");
  const [toolName, setToolName] = useState("");
  const [requester, setRequester] = useState("");
  const [age, setAge] = useState("");
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [batchResult, setBatchResult] = useState<BatchResult | null>(null);

  const filter: Filter = {
    statuses: [...VIEWS[view].statuses],
    ...(riskClass ? { riskClasses: [riskClass] } : {}),
    ...(toolName ? { toolName } : {}),
    ...(age ? { olderThanMinutes: Number(age) } : {}),
    limit: 200,
  };
  const list = useQuery(trpc.approvals.list.queryOptions(filter));
  const items = useMemo(
    () =>
      (list.data ?? []).filter((item) =>
        requester
          ? `${item.requester.name} ${item.requester.email}`.toLowerCase().includes(requester.toLowerCase())
          : true,
      ),
    [list.data, requester],
  );

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() });
  }, [queryClient, trpc]);
  useSubscription(trpc.approvals.watch.subscriptionOptions(undefined, { onData: refresh }));

  // The request shown is the one in the URL, else the first in the list, from the very
  // render that shows the list: nothing waits for an effect or a navigation to select it.
  const selectedId = params.get("request") ?? items[0]?.id ?? null;
  // Shallow: the URL keeps the selection (reload, back, a shared link) without a server
  // round trip; Next.js syncs useSearchParams with history.replaceState.
  function select(id: string | null) {
    window.history.replaceState(null, "", id ? `/inbox?request=${encodeURIComponent(id)}` : "/inbox");
  }

  const index = items.findIndex((item) => item.id === selectedId);
  useKeyboardShortcuts({
    j: () => moveSelection(1),
    ArrowDown: () => moveSelection(1),
    k: () => moveSelection(-1),
    ArrowUp: () => moveSelection(-1),
    x: selectedId ? () => toggleChecked(selectedId) : undefined,
  });

  function moveSelection(step: 1 | -1) {
    const next = items[Math.min(items.length - 1, Math.max(0, index + step))];
    if (next) select(next.id);
  }

  function toggleChecked(id: string) {
    setChecked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  const batch = useMutation(
    trpc.approvals.decideMany.mutationOptions({
      onSuccess: (results) => {
        setBatchResult(results);
        setChecked(new Set());
        refresh();
      },
    }),
  );

  function runBatch(verdict: "approve" | "reject") {
    const requestIds = [...checked];
    if (requestIds.length === 0) return;
    const reason =
      verdict === "reject" ? window.prompt(`Reason for rejecting ${requestIds.length} request(s)`) : undefined;
    if (verdict === "reject" && !reason?.trim()) return;
    batch.mutate({ requestIds, verdict, ...(reason ? { reason } : {}) });
  }

  const tools = [...new Set((list.data ?? []).map((item) => item.toolName))].sort();

  return (
    <div className="flex h-full">
      <section aria-label="Requests" className="flex w-[26rem] shrink-0 flex-col border-r border-slate-200 bg-white">
        <div className="space-y-2 border-b border-slate-200 p-3">
          <div className="flex items-center gap-1" role="tablist">
            {(Object.keys(VIEWS) as (keyof typeof VIEWS)[]).map((key) => (
              <button
                key={key}
                type="button"
                role="tab"
                aria-selected={view === key}
                onClick={() => {
                  setView(key);
                  setChecked(new Set());
                  select(null);
                }}
                className={`rounded-md px-3 py-1.5 text-sm font-medium ${view === key ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`}
              >
                {VIEWS[key].label}
              </button>
            ))}
            <span className="ml-auto text-xs text-slate-500">j/k move · a approve · r reject · e edit · x select</span>
          </div>
          <div className="grid grid-cols-2 gap-2 text-sm">
            <select
              aria-label="Risk class"
              value={riskClass}
              onChange={(event) => setRiskClass(event.target.value as RiskClass | "")}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">Any risk</option>
              <option value="DESTRUCTIVE">Destructive</option>
              <option value="SENSITIVE_READ">Sensitive read</option>
              <option value="READ">Read</option>
            </select>
            <select
              aria-label="Tool"
              value={toolName}
              onChange={(event) => setToolName(event.target.value)}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              <option value="">Any tool</option>
              {tools.map((tool) => (
                <option key={tool} value={tool}>
                  {tool}
                </option>
              ))}
            </select>
            <input
              aria-label="Requester"
              placeholder="Requester"
              value={requester}
              onChange={(event) => setRequester(event.target.value)}
              className="rounded-md border border-slate-300 px-2 py-1"
            />
            <select
              aria-label="Age"
              value={age}
              onChange={(event) => setAge(event.target.value)}
              className="rounded-md border border-slate-300 px-2 py-1"
            >
              {AGES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </div>
          {view === "pending" && checked.size > 0 ? (
            <div className="flex items-center gap-2 text-sm">
              <span className="text-slate-600">{checked.size} selected</span>
              <button
                type="button"
                onClick={() => runBatch("approve")}
                disabled={batch.isPending}
                className="ml-auto rounded-md bg-emerald-600 px-3 py-1 font-medium text-white hover:bg-emerald-700 disabled:opacity-60"
              >
                Approve selected
              </button>
              <button
                type="button"
                onClick={() => runBatch("reject")}
                disabled={batch.isPending}
                className="rounded-md bg-rose-600 px-3 py-1 font-medium text-white hover:bg-rose-700 disabled:opacity-60"
              >
                Reject selected
              </button>
            </div>
          ) : null}
          {batchResult ? (
            <div role="status" className="rounded-md bg-slate-50 p-2 text-xs">
              <div className="mb-1 flex justify-between font-medium">
                <span>
                  {batchResult.filter((result) => result.ok).length} of {batchResult.length} decided
                </span>
                <button
                  type="button"
                  onClick={() => setBatchResult(null)}
                  className="text-slate-500 hover:text-slate-800"
                >
                  Dismiss
                </button>
              </div>
              <ul className="space-y-0.5">
                {batchResult.map((result) => (
                  <li key={result.requestId} className={result.ok ? "text-emerald-700" : "text-rose-700"}>
                    {result.requestId.slice(-8)}:{" "}
                    {result.ok
                      ? `${result.status.toLowerCase()} (${result.approvals}/${result.requiredApprovals})`
                      : result.error}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {batch.error ? (
            <p role="alert" className="text-xs text-rose-700">
              {batch.error.message}
            </p>
          ) : null}
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto">
          {list.isPending ? <p className="p-4 text-sm text-slate-500">Loading…</p> : null}
          {list.error ? (
            <p role="alert" className="p-4 text-sm text-rose-700">
              {list.error.message}
            </p>
          ) : null}
          {list.data && items.length === 0 ? (
            <div className="p-8 text-center">
              <p className="font-medium">{view === "pending" ? "No pending actions" : "Nothing decided yet"}</p>
              <p className="mt-1 text-sm text-slate-600">
                {view === "pending"
                  ? "When an agent asks to change something — write or delete a file, modify data, run a command — the request waits here for a reviewer."
                  : "Decided requests appear here."}
              </p>
            </div>
          ) : null}
          <ul>
            {items.map((item: Item) => (
              <li
                key={item.id}
                className={`flex items-start gap-2 border-b border-slate-100 px-3 py-2.5 ${item.id === selectedId ? "bg-indigo-50" : "hover:bg-slate-50"}`}
              >
                {view === "pending" ? (
                  <input
                    type="checkbox"
                    aria-label={`Select ${item.toolName} request`}
                    checked={checked.has(item.id)}
                    onChange={(event) =>
                      setChecked((current) => {
                        const next = new Set(current);
                        if (event.target.checked) next.add(item.id);
                        else next.delete(item.id);
                        return next;
                      })
                    }
                    className="mt-1"
                  />
                ) : null}
                <button
                  type="button"
                  data-testid="inbox-item"
                  aria-current={item.id === selectedId ? "true" : undefined}
                  onClick={() => select(item.id)}
                  className="min-w-0 flex-1 text-left"
                >
                  <div className="flex items-center gap-2">
                    <span className="font-mono text-sm font-medium">{item.toolName}</span>
                    <RiskBadge riskClass={item.riskClass} />
                    <span className="ml-auto text-xs text-slate-500">{timeAgo(item.createdAt)}</span>
                  </div>
                  <p className="mt-0.5 truncate text-sm text-slate-700">{item.summary ?? JSON.stringify(item.args)}</p>
                  <p className="mt-0.5 text-xs text-slate-500">
                    {item.requester.name}
                    {item.status === "PENDING"
                      ? ` · ${item.approvals}/${item.requiredApprovals} approvals`
                      : ` · ${item.status.toLowerCase()}`}
                    {item.approvedBy.includes(meId) && item.status === "PENDING" ? " · you approved" : ""}
                  </p>
                </button>
              </li>
            ))}
          </ul>
        </div>
      </section>
      <section aria-label="Request" className="min-w-0 flex-1 overflow-y-auto">
        {selectedId ? (
          <RequestDetail key={selectedId} requestId={selectedId} meId={meId} onDecided={refresh} />
        ) : (
          <div className="flex h-full items-center justify-center text-sm text-slate-500">
            Select a request to see what it would do.
          </div>
        )}
      </section>
    </div>
  );
}
