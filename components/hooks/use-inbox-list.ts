"use client";
/**
 * The inbox's data: the view (pending or history) and filters, the list they select
 * (kept live by the approvals watch stream), and the batch decision over checked items.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useMemo, useState } from "react";
import type { RiskClass } from "@/server/shared/risk";
import { type RouterInputs, type RouterOutputs, useTRPC } from "../trpc";
import { useCheckedSet } from "./use-checked-set";

type Filter = RouterInputs["approvals"]["list"];
export type InboxItem = RouterOutputs["approvals"]["list"][number];
export type BatchResult = RouterOutputs["approvals"]["decideMany"];

export const INBOX_VIEWS = {
  pending: { label: "Pending", statuses: ["PENDING"] },
  history: { label: "History", statuses: ["APPROVED", "CONSUMED", "REJECTED", "EXPIRED", "CANCELLED", "VOIDED"] },
} as const;
export type InboxView = keyof typeof INBOX_VIEWS;

export interface InboxFilters {
  riskClass: RiskClass | "";
  toolName: string;
  requester: string;
  /** Minutes, as the select's value; "" is any age. */
  age: string;
}

const NO_FILTERS: InboxFilters = { riskClass: "", toolName: "", requester: "", age: "" };

export function useInboxList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [view, setView] = useState<InboxView>("pending");
  const [filters, setFilters] = useState<InboxFilters>(NO_FILTERS);
  const checks = useCheckedSet();
  const [batchResult, setBatchResult] = useState<BatchResult | null>(null);

  const filter: Filter = {
    statuses: [...INBOX_VIEWS[view].statuses],
    ...(filters.riskClass ? { riskClasses: [filters.riskClass] } : {}),
    ...(filters.toolName ? { toolName: filters.toolName } : {}),
    ...(filters.age ? { olderThanMinutes: Number(filters.age) } : {}),
    limit: 200,
  };
  const list = useQuery(trpc.approvals.list.queryOptions(filter));
  // The requester filter is a substring of name or email, applied here as the reviewer types.
  const items = useMemo(() => {
    const needle = filters.requester.toLowerCase();
    return (list.data ?? []).filter(
      (item) => !needle || `${item.requester.name} ${item.requester.email}`.toLowerCase().includes(needle),
    );
  }, [list.data, filters.requester]);
  const itemIds = useMemo(() => items.map((item) => item.id), [items]);
  const tools = useMemo(() => [...new Set((list.data ?? []).map((item) => item.toolName))].sort(), [list.data]);

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() });
  }, [queryClient, trpc]);
  useSubscription(trpc.approvals.watch.subscriptionOptions(undefined, { onData: refresh }));

  const batch = useMutation(
    trpc.approvals.decideMany.mutationOptions({
      onSuccess: (results) => {
        setBatchResult(results);
        checks.clear();
        refresh();
      },
    }),
  );

  function decideChecked(verdict: "approve" | "reject", reason?: string) {
    const requestIds = [...checks.checked];
    if (requestIds.length === 0) return;
    if (verdict === "reject" && !reason?.trim()) return;
    batch.mutate({ requestIds, verdict, ...(reason ? { reason } : {}) });
  }

  function changeView(next: InboxView) {
    setView(next);
    checks.clear();
  }

  return {
    view,
    changeView,
    filters,
    setFilter: <K extends keyof InboxFilters>(key: K, value: InboxFilters[K]) =>
      setFilters((current) => ({ ...current, [key]: value })),
    list,
    items,
    itemIds,
    tools,
    refresh,
    checks,
    batch,
    batchResult,
    dismissBatchResult: () => setBatchResult(null),
    decideChecked,
  };
}
