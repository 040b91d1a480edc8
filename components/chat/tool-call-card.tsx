"use client";
import { useMutation } from "@tanstack/react-query";
import type { ToolCallStatus } from "@/server/shared/run-events";
import { useTRPC } from "../trpc";
import { ScrollPre } from "../ui/scroll-box";
import type { ToolCallView } from "./transcript";

const STATUS: Record<ToolCallStatus, { label: string; style: string }> = {
  PENDING: { label: "Checking policy", style: "bg-slate-100 text-slate-700" },
  AWAITING_APPROVAL: { label: "Waiting for a reviewer", style: "bg-amber-100 text-amber-800" },
  APPROVED: { label: "Approved", style: "bg-emerald-100 text-emerald-800" },
  RUNNING: { label: "Running", style: "bg-sky-100 text-sky-800" },
  SUCCEEDED: { label: "Done", style: "bg-emerald-100 text-emerald-800" },
  FAILED: { label: "Failed", style: "bg-rose-100 text-rose-800" },
  REFUSED: { label: "Refused", style: "bg-rose-100 text-rose-800" },
  CANCELLED: { label: "Cancelled", style: "bg-slate-200 text-slate-700" },
  UNKNOWN_OUTCOME: { label: "Outcome unknown", style: "bg-orange-100 text-orange-800" },
};

function preview(value: unknown, limit = 600): string {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

export function ToolCallCard({ call }: { call: ToolCallView }) {
  const status = STATUS[call.status];
  const trpc = useTRPC();
  const withdraw = useMutation(trpc.approvals.cancel.mutationOptions());
  return (
    <div
      data-testid="tool-call"
      data-status={call.status}
      data-approval-id={call.approvalId}
      className="my-2 min-w-0 rounded-lg border border-slate-200 bg-white text-sm"
    >
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-100 px-3 py-2">
        <span className="min-w-0 font-mono font-medium break-all">{call.toolName}</span>
        {call.riskClass ? <span className="text-xs text-slate-600">{call.riskClass}</span> : null}
        <span className={`ml-auto rounded-full px-2 py-0.5 text-xs font-medium ${status.style}`}>
          {call.status === "RUNNING" ? (
            <span className="mr-1 inline-block h-2 w-2 animate-pulse rounded-full bg-sky-500" />
          ) : null}
          {status.label}
        </span>
      </div>
      <details className="px-3 py-2">
        <summary className="cursor-pointer text-xs text-slate-500">Arguments</summary>
        <ScrollPre className="mt-1 max-h-60 overflow-auto font-mono text-xs break-all whitespace-pre-wrap text-slate-700">
          {preview(call.args)}
        </ScrollPre>
      </details>
      {call.status === "AWAITING_APPROVAL" ? (
        <div className="flex flex-wrap items-center gap-2 border-t border-amber-100 bg-amber-50 px-3 py-2 text-xs text-amber-900">
          <span>Waiting for a reviewer. The agent continues when it is decided.</span>
          {call.approvalId ? (
            <button
              type="button"
              disabled={withdraw.isPending}
              onClick={() => call.approvalId && withdraw.mutate({ requestId: call.approvalId })}
              className="ml-auto rounded border border-amber-300 bg-white px-2 py-0.5 font-medium hover:bg-amber-100 disabled:opacity-60"
            >
              Withdraw request
            </button>
          ) : null}
        </div>
      ) : null}
      {withdraw.error ? (
        <p role="alert" className="px-3 pb-2 text-xs text-rose-700">
          {withdraw.error.message}
        </p>
      ) : null}
      {call.error ? <p className="px-3 pb-2 text-xs break-words text-rose-700">{call.error}</p> : null}
      {call.result !== undefined && call.result !== null ? (
        <ScrollPre className="mx-3 mb-2 max-h-48 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs break-all whitespace-pre-wrap text-slate-700">
          {preview(call.result)}
        </ScrollPre>
      ) : null}
    </div>
  );
}
