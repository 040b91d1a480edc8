"use client";
/**
 * What a screen reader hears about a run: one polite sentence when its state changes
 * (answering, waiting for a reviewer, finished with its answer, failed) — never each
 * streamed token, which would flood the listener.
 */
import type { RunStatus } from "@/server/shared/run-events";
import type { RunView } from "./transcript";

const SAY: Record<RunStatus, (run: RunView) => string> = {
  QUEUED: () => "Message sent.",
  RUNNING: () => "The agent is answering…",
  AWAITING_APPROVAL: () => "Waiting for a reviewer to approve an action.",
  COMPLETED: (run) => {
    const answer = run.steps
      .map((step) => step.text)
      .join(" ")
      .trim();
    return `Answer finished: ${answer.length > 300 ? `${answer.slice(0, 300)}…` : answer}`;
  },
  FAILED: (run) => `The run failed. ${run.error ?? ""}`,
  CANCELLED: () => "Stopped.",
};

export function RunAnnouncer({ run }: { run: RunView | null }) {
  return (
    <p role="status" aria-live="polite" className="sr-only" data-testid="run-announcement">
      {run ? SAY[run.status](run) : ""}
    </p>
  );
}
