"use client";
/** Deciding the checked requests at once, and the per-item report of the last batch. */
import { useId, useState } from "react";
import type { BatchResult } from "../hooks/use-inbox-list";
import { Button } from "../ui/button";
import { ConfirmDialog, Dialog } from "../ui/dialog";

/** What the approval confirmation names of each checked request. */
export interface CheckedRequest {
  id: string;
  toolName: string;
  summary: string | null;
  args: unknown;
}

export function BatchBar({
  count,
  checkedRequests,
  pending,
  onDecide,
}: {
  count: number;
  checkedRequests: CheckedRequest[];
  pending: boolean;
  onDecide: (verdict: "approve" | "reject", reason?: string) => void;
}) {
  // Approving is authorization: the reviewer sees what they authorize before it runs.
  const [approving, setApproving] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState("");
  const reasonId = useId();
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span className="text-slate-600">{count} selected</span>
      <Button variant="approve" size="sm" className="ml-auto" onClick={() => setApproving(true)} disabled={pending}>
        Approve selected
      </Button>
      <Button variant="danger" size="sm" onClick={() => setRejecting(true)} disabled={pending}>
        Reject selected
      </Button>
      {approving ? (
        <ConfirmDialog
          title={`Approve ${requestCount(count)}?`}
          body={
            <>
              <p>Each runs as soon as it has the approvals it needs. Your approval is recorded with your name.</p>
              <ul data-testid="batch-approve-list" className="mt-2 max-h-60 space-y-1 overflow-y-auto break-words">
                {checkedRequests.map((request) => (
                  <li key={request.id}>
                    <span className="font-mono font-medium">{request.toolName}</span>
                    <span className="text-slate-600"> — {request.summary ?? JSON.stringify(request.args)}</span>
                  </li>
                ))}
              </ul>
              {checkedRequests.length < count ? (
                <p className="mt-2 text-slate-600">
                  and {count - checkedRequests.length} no longer in the list (decided or expired meanwhile).
                </p>
              ) : null}
            </>
          }
          variant="approve"
          confirmLabel={`Approve ${count}`}
          onConfirm={() => {
            onDecide("approve");
            setApproving(false);
          }}
          onCancel={() => setApproving(false)}
        />
      ) : null}
      {rejecting ? (
        <Dialog title={`Reject ${count} request(s)`} onClose={() => setRejecting(false)}>
          <form
            className="space-y-3"
            onSubmit={(event) => {
              event.preventDefault();
              if (!reason.trim()) return;
              onDecide("reject", reason);
              setRejecting(false);
              setReason("");
            }}
          >
            <label htmlFor={reasonId} className="block text-sm font-medium">
              Reason for rejecting (the agents and the requesters see it)
            </label>
            <textarea
              id={reasonId}
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              rows={3}
              className="w-full rounded-lg border border-slate-300 bg-white p-2 text-sm"
            />
            <div className="flex justify-end gap-2">
              <Button onClick={() => setRejecting(false)}>Cancel</Button>
              <Button type="submit" variant="danger" disabled={!reason.trim()}>
                Reject {count}
              </Button>
            </div>
          </form>
        </Dialog>
      ) : null}
    </div>
  );
}

function requestCount(count: number): string {
  return count === 1 ? "1 request" : `${count} requests`;
}

export function BatchReport({ result, onDismiss }: { result: BatchResult; onDismiss: () => void }) {
  return (
    <div role="status" className="rounded-md bg-slate-50 p-2 text-xs">
      <div className="mb-1 flex justify-between font-medium">
        <span>
          {result.filter((entry) => entry.ok).length} of {result.length} decided
        </span>
        <button type="button" onClick={onDismiss} className="text-slate-600 hover:text-slate-800">
          Dismiss
        </button>
      </div>
      <ul className="space-y-0.5 break-words">
        {result.map((entry) => (
          <li key={entry.requestId} className={entry.ok ? "text-emerald-800" : "text-rose-700"}>
            {entry.requestId.slice(-8)}:{" "}
            {entry.ok ? `${entry.status.toLowerCase()} (${entry.approvals}/${entry.requiredApprovals})` : entry.error}
          </li>
        ))}
      </ul>
    </div>
  );
}
