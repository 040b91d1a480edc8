/**
 * The job worker: claims runnable runs from Postgres, holds a lease on each while it
 * executes (renewed by heartbeat), and gives it up when done. A worker that dies stops
 * renewing; once its lease expires, any worker claims the run and resumes it from the
 * last committed step. Wakes on NOTIFY, and polls as a safety net for expired leases.
 */
import { randomUUID } from "node:crypto";
import { listen } from "../db/notifications";
import { claimNextRun, isCancelRequested, RUN_CANCEL_CHANNEL, RUNS_QUEUED_CHANNEL, renewLease } from "../db/runs";
import { LeaseLostError } from "../db/steps";
import type { EngineDependencies } from "./engine-config";
import { executeRun, RunCancelledError, type RunOutcome } from "./run-engine";

export interface WorkerOptions {
  deps: EngineDependencies;
  concurrency: number;
  /** How often to look for runs whose lease expired, when nothing woke us. */
  pollIntervalMs?: number;
  workerId?: string;
  onRunFinished?: (runId: string, outcome: RunOutcome) => void;
}

export interface Worker {
  id: string;
  stop(): Promise<void>;
  /** Runs being executed right now. */
  active(): number;
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { deps } = options;
  const workerId = options.workerId ?? `worker-${randomUUID()}`;
  const log = deps.logger.child({ workerId });
  const leaseMs = deps.config.leaseMs;
  const pollIntervalMs = options.pollIntervalMs ?? Math.max(250, Math.floor(leaseMs / 3));
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopped = false;
  let wake: (() => void) | undefined;
  const nudge = () => wake?.();

  const cancelIfRunning = (runId: string) => {
    running.get(runId)?.controller.abort(new RunCancelledError());
  };

  const unsubscribers = await Promise.all([
    listen(RUNS_QUEUED_CHANNEL, nudge),
    listen(RUN_CANCEL_CHANNEL, cancelIfRunning),
  ]);

  const execute = async (runId: string) => {
    const controller = new AbortController();
    const heartbeat = setInterval(
      () => {
        renewLease(runId, workerId, leaseMs)
          .then(async (held) => {
            if (!held) controller.abort(new LeaseLostError(runId));
            // A cancel NOTIFY can be missed across a reconnect; the row is the truth.
            else if (await isCancelRequested(runId)) controller.abort(new RunCancelledError());
          })
          .catch((error) => log.warn("heartbeat failed", { runId, error: (error as Error).message }));
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const done = (async () => {
      try {
        const outcome = await executeRun({ runId, workerId, signal: controller.signal, deps });
        log.debug("run finished", { runId, outcome });
        options.onRunFinished?.(runId, outcome);
      } catch (error) {
        log.error("run crashed the worker loop", { runId, error });
      } finally {
        clearInterval(heartbeat);
        running.delete(runId);
        nudge();
      }
    })();
    running.set(runId, { controller, done });
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        while (!stopped && running.size < options.concurrency) {
          const runId = await claimNextRun(workerId, leaseMs);
          if (!runId) break;
          await execute(runId);
        }
      } catch (error) {
        log.error("could not claim runs", { error: (error as Error).message });
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  })();

  log.info("worker started", { concurrency: options.concurrency, leaseMs });
  return {
    id: workerId,
    active: () => running.size,
    async stop() {
      stopped = true;
      nudge();
      for (const unsubscribe of unsubscribers) unsubscribe();
      await loop;
      // In-flight runs keep their lease until it expires and another worker resumes them;
      // aborting here would record a cancellation the user never asked for.
      await Promise.allSettled([...running.values()].map((entry) => entry.done));
    },
  };
}
