/**
 * Claiming runs for a worker, with recovery bounded: a run whose worker died more often
 * than the configured cap (a crash loop it may itself cause) is failed with a reason its
 * user reads in the run and admins read in the audit log, instead of being resumed again.
 * Fairness and backoff between fresh and recovered runs live in claimNextRun().
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { claimNextRun, failAbandonedRun } from "../db/runs";
import { inTransaction } from "../db/transaction";
import type { Logger } from "../telemetry/logger";
import { metrics } from "../telemetry/metrics";
import type { EngineConfig } from "./engine-config";

export function recoveryCapMessage(recoveries: number, unknownOutcomes: number): string {
  const calls =
    unknownOutcomes > 0
      ? ` ${unknownOutcomes === 1 ? "A call that was running" : `${unknownOutcomes} calls that were running`} may have taken effect: a reviewer must check before anything is tried again.`
      : "";
  return `The run was interrupted ${recoveries} times (the server running it stopped each time) and was not resumed again.${calls} Send the message again to retry.`;
}

/** Fails a run recovered too often; false when another worker took it first. */
async function failAfterRecoveries(runId: string, workerId: string, recoveries: number): Promise<boolean> {
  return inTransaction(
    async (tx) => {
      const interrupted = recoveries;
      const calls = await failAbandonedRun({
        runId,
        workerId,
        error: (ended) =>
          recoveryCapMessage(interrupted, ended.filter((call) => call.status === "UNKNOWN_OUTCOME").length),
        tx,
      });
      if (!calls) return false;
      const unknown = calls.filter((call) => call.status === "UNKNOWN_OUTCOME");
      for (const call of unknown) {
        await recordAuditEvent(tx, {
          actorId: null,
          action: "tool-call.unknown-outcome",
          targetType: "tool-call",
          targetId: call.id,
          data: { runId, toolName: call.toolName, reason: "the run was failed after too many recoveries" },
        });
      }
      await recordAuditEvent(tx, {
        actorId: null,
        action: "run.failed-after-recoveries",
        targetType: "run",
        targetId: runId,
        data: {
          recoveries: interrupted,
          unknownOutcomes: unknown.length,
          cancelledCalls: calls.length - unknown.length,
        },
      });
      return true;
    },
    { leased: true },
  );
}

/**
 * The next run this worker should execute, or null when none is runnable now. Runs over
 * the recovery cap are failed on the way. `preferFresh` is the caller's turn flag.
 */
export async function claimRunnableRun(options: {
  workerId: string;
  config: Pick<EngineConfig, "leaseMs" | "maxRecoveries" | "recoveryBackoffMs">;
  executing: readonly string[];
  preferFresh: boolean;
  logger: Logger;
}): Promise<{ runId: string; recovered: boolean } | null> {
  for (;;) {
    const claimed = await claimNextRun(options.workerId, options.config.leaseMs, {
      executing: options.executing,
      preferFresh: options.preferFresh,
      recoveryBackoffMs: options.config.recoveryBackoffMs,
    });
    if (!claimed) return null;
    if (claimed.recovered) metrics.leaseReclaims.inc();
    if (claimed.attempts === 1) metrics.runClaimLatency.observe(Math.max(0, claimed.queuedSeconds));
    // recoveries counts this claim (each follows an interruption): maxRecoveries resumes, not one more.
    if (!claimed.recovered || claimed.recoveries <= options.config.maxRecoveries) {
      return { runId: claimed.id, recovered: claimed.recovered };
    }
    if (await failAfterRecoveries(claimed.id, options.workerId, claimed.recoveries)) {
      metrics.runsFailedAfterRecoveries.inc();
      options.logger.warn("run failed after too many recoveries", {
        runId: claimed.id,
        recoveries: claimed.recoveries,
      });
    }
  }
}
