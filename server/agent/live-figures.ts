/** The admin overview's live figures: the whole system's, from the database. */
import { readSystemFigures } from "../db/system-figures";

export async function liveFigures() {
  const figures = await readSystemFigures();
  return {
    pendingApprovals: figures.pendingApprovals,
    oldestPendingSeconds: Math.round(figures.oldestPendingApprovalSeconds),
    runsInFlight: (figures.runsByStatus.QUEUED ?? 0) + (figures.runsByStatus.RUNNING ?? 0),
    runsAwaitingApproval: figures.runsByStatus.AWAITING_APPROVAL ?? 0,
    finishedLastHour: figures.finishedLastHour,
    failedLastHour: figures.failedLastHour,
    /** Failed among runs that ended in the last hour, 0–1; null when none ended. */
    failureRateLastHour: figures.finishedLastHour > 0 ? figures.failedLastHour / figures.finishedLastHour : null,
    unknownOutcomeCalls: figures.unknownOutcomeCalls,
  };
}
