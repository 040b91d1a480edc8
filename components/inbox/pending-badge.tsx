"use client";
import { usePendingRequests } from "../hooks/use-pending-requests";

/** The number of pending requests beside the inbox link; also keeps the tab title and notifications. */
export function PendingBadge({ meId }: { meId: string }) {
  const count = usePendingRequests(meId);
  if (!count) return null;
  return (
    <span
      data-testid="pending-count"
      title={`${count} pending`}
      className="ml-1.5 inline-block rounded-full bg-rose-700 px-1.5 py-0.5 text-[11px] leading-none font-bold text-white"
    >
      {count}
      <span className="sr-only"> pending</span>
    </span>
  );
}
