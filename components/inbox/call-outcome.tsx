/**
 * What became of the call a reviewer decided on: it ran and succeeded or failed, it did
 * not run, or it may have run (UNKNOWN_OUTCOME: started, never confirmed, never re-run).
 */
import type { ToolCallStatus } from "@/server/shared/run-events";
import { Badge, type BadgeTone } from "../ui/status";

const OUTCOME: Record<ToolCallStatus, { label: string; tone: BadgeTone; explanation?: string }> = {
  PENDING: { label: "not decided", tone: "slate" },
  AWAITING_APPROVAL: { label: "waiting for approval", tone: "slate" },
  APPROVED: { label: "approved, not run yet", tone: "indigo" },
  RUNNING: { label: "running", tone: "indigo" },
  SUCCEEDED: { label: "ran: succeeded", tone: "green" },
  FAILED: { label: "ran: failed", tone: "rose" },
  REFUSED: { label: "did not run", tone: "slate" },
  CANCELLED: { label: "did not run (cancelled)", tone: "slate" },
  UNKNOWN_OUTCOME: {
    label: "may have run — check",
    tone: "amber",
    explanation:
      "The call started but its result was never confirmed (its worker stopped or it timed out). Airlock will not run it again: check the system it acts on before asking for it again.",
  },
};

/** The outcome as a badge in the list, only once the approval was used (or the call settled). */
export function CallOutcomeBadge({ status }: { status: ToolCallStatus | null }) {
  if (!status || status === "PENDING" || status === "AWAITING_APPROVAL") return null;
  const outcome = OUTCOME[status];
  return (
    <Badge tone={outcome.tone} testId="call-outcome">
      {outcome.label}
    </Badge>
  );
}

/** The outcome in the detail, with the error the tool reported and what an unknown outcome means. */
export function CallOutcomeDetail({ status, error }: { status: ToolCallStatus | null; error: string | null }) {
  if (!status || status === "PENDING" || status === "AWAITING_APPROVAL") return null;
  const outcome = OUTCOME[status];
  return (
    <div className="mt-3 space-y-1 text-sm" data-testid="call-outcome-detail" data-call-status={status}>
      <p>
        Call: <CallOutcomeBadge status={status} />
      </p>
      {outcome.explanation ? <p className="text-amber-900">{outcome.explanation}</p> : null}
      {error ? <p className="font-mono text-xs break-all text-rose-800">{error}</p> : null}
    </div>
  );
}
