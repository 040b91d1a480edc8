/** The list of requests: one row per request, a checkbox for batch decisions while pending. */

import { ToolFlagBadge } from "../admin/mcp/tool-flag";
import type { CheckedSet } from "../hooks/use-checked-set";
import type { InboxItem } from "../hooks/use-inbox-list";
import { CallOutcomeBadge } from "./call-outcome";
import { RiskBadge, timeAgo } from "./risk-badge";

export function InboxList({
  items,
  selectedId,
  meId,
  checks,
  onOpen,
}: {
  items: readonly InboxItem[];
  selectedId: string | null;
  meId: string;
  /** Absent outside the pending view: decided requests are not selectable for a batch. */
  checks: CheckedSet | null;
  onOpen: (id: string) => void;
}) {
  return (
    <ul>
      {items.map((item) => (
        <li
          key={item.id}
          className={`flex items-start gap-2 border-b border-slate-100 px-3 py-2.5 ${item.id === selectedId ? "bg-indigo-50" : "hover:bg-slate-50"}`}
        >
          {checks ? (
            <input
              type="checkbox"
              aria-label={`Select ${item.toolName} request`}
              checked={checks.checked.has(item.id)}
              onChange={(event) => checks.set(item.id, event.target.checked)}
              className="mt-1"
            />
          ) : null}
          <button
            type="button"
            data-testid="inbox-item"
            data-request-id={item.id}
            aria-current={item.id === selectedId ? "true" : undefined}
            onClick={() => onOpen(item.id)}
            className="min-w-0 flex-1 text-left"
          >
            <span className="flex flex-wrap items-center gap-2">
              <span className="min-w-0 font-mono text-sm font-medium break-all">{item.toolName}</span>
              <RiskBadge riskClass={item.riskClass} />
              {item.toolFlag ? <ToolFlagBadge flag={item.toolFlag} /> : null}
              <span className="ml-auto text-xs text-slate-500">{timeAgo(item.createdAt)}</span>
            </span>
            <span className="mt-0.5 block truncate text-sm text-slate-700">
              {item.summary ?? JSON.stringify(item.args)}
            </span>
            <span className="mt-0.5 flex flex-wrap items-center gap-x-1 text-xs text-slate-500">
              <span>
                {item.requester.name}
                {item.status === "PENDING"
                  ? ` · ${item.approvals}/${item.requiredApprovals} approvals`
                  : ` · ${item.status.toLowerCase()}`}
                {item.approvedBy.includes(meId) && item.status === "PENDING" ? " · you approved" : ""}
              </span>
              {item.status === "PENDING" ? null : <CallOutcomeBadge status={item.callStatus} />}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
