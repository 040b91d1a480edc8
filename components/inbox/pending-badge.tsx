"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "../trpc";

/** The number of pending requests, kept live by the approvals watch stream. */
export function PendingBadge() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const count = useQuery(trpc.approvals.pendingCount.queryOptions());
  useSubscription(
    trpc.approvals.watch.subscriptionOptions(undefined, {
      onData: (data) => queryClient.setQueryData(trpc.approvals.pendingCount.queryKey(), data.pending),
    }),
  );
  if (!count.data) return null;
  return (
    <span
      data-testid="pending-count"
      title={`${count.data} pending`}
      className="ml-1.5 rounded-full bg-amber-500 px-1.5 py-0.5 text-[11px] font-bold text-white"
    >
      {count.data}
    </span>
  );
}
