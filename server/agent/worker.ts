/**
 * The job worker: claims runnable runs from Postgres, holds a lease on each while it
 * executes (renewed by heartbeat), and gives it up when done. A worker that dies stops
 * renewing; once its lease expires, any worker claims the run and resumes it from the
 * last committed step. Wakes on NOTIFY, and polls as a safety net for expired leases.
 */
import { randomUUID } from "node:crypto";
import { isDatabaseUnavailable } from "../db/errors";
import { listen } from "../db/notifications";
import { claimNextRun, isCancelRequested, RUN_CANCEL_CHANNEL, RUNS_QUEUED_CHANNEL, renewLease } from "../db/runs";
import { LeaseLostError } from "../db/steps";
import type { EngineDependencies } from "./engine-config";
import { executeRun, RunCancelledError, type RunOutcome } from "./run-engine";

/** How long stop() waits for in-flight runs unless told otherwise. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

export interface WorkerOptions {
  deps: EngineDependencies;
  concurrency: number;
  /** How often to look for runs whose lease expired, when nothing woke us. */
  pollIntervalMs?: number;
  workerId?: string;
  onRunFinished?: (runId: string, outcome: RunOutcome) => void;
}

export interface StopOptions {
  /**
   * How long to wait for in-flight runs to finish. After that stop() returns anyway and
   * stops renewing their leases, so they expire and another worker resumes the runs from
   * their last committed step — the same path as a crash. The caller is expected to exit.
   */
  graceMs?: number;
}

export interface Worker {
  id: string;
  stop(options?: StopOptions): Promise<void>;
  /** Runs being executed right now. */
  active(): number;
}

interface InFlightRun {
  controller: AbortController;
  heartbeat: NodeJS.Timeout;
  done: Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { deps } = options;
  const workerId = options.workerId ?? `worker-${randomUUID()}`;
  const log = deps.logger.child({ workerId });
  const leaseMs = deps.config.leaseMs;
  const pollIntervalMs = options.pollIntervalMs ?? Math.max(250, Math.floor(leaseMs / 3));
  const running = new Map<string, InFlightRun>();
  let stopped = false;
  let stopping: Promise<void> | undefined;
  // A NOTIFY that arrives while the loop is busy claiming must not be lost: remember it,
  // so the loop claims again at once instead of sleeping through a whole poll interval.
  let woken = false;
  let wake: (() => void) | undefined;
  const nudge = () => {
    woken = true;
    wake?.();
  };

  const cancelIfRunning = (runId: string) => {
    running.get(runId)?.controller.abort(new RunCancelledError());
  };

  const unsubscribers = await Promise.all([
    listen(RUNS_QUEUED_CHANNEL, nudge),
    listen(RUN_CANCEL_CHANNEL, cancelIfRunning),
  ]);

  const execute = (runId: string) => {
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
    running.set(runId, { controller, heartbeat, done });
  };

  // A database that is away (restarting) is said once when lost and once when back, not every poll.
  let databaseAway = false;
  const loop = (async () => {
    while (!stopped) {
      woken = false;
      try {
        while (!stopped && running.size < options.concurrency) {
          const runId = await claimNextRun(workerId, leaseMs, [...running.keys()]);
          if (databaseAway) log.info("database reachable again; claiming runs");
          databaseAway = false;
          if (!runId) break;
          execute(runId);
        }
      } catch (error) {
        if (!isDatabaseUnavailable(error)) log.error("could not claim runs", { error: (error as Error).message });
        else if (!databaseAway) log.warn("database unreachable; claiming runs again once it is back");
        databaseAway ||= isDatabaseUnavailable(error);
      }
      if (stopped) break;
      if (woken && running.size < options.concurrency) continue;
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

  const stop = async (graceMs: number) => {
    stopped = true;
    nudge();
    for (const unsubscribe of unsubscribers) unsubscribe();
    await loop;
    if (running.size === 0) return;
    // In-flight runs keep their lease while we wait; aborting them would record a
    // cancellation the user never asked for (and mark started tool calls cancelled).
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...running.values()].map((entry) => entry.done)).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (drained) return;
    // Stop renewing: the leases expire and another worker resumes these runs from their
    // last committed step, exactly as after a crash.
    for (const entry of running.values()) clearInterval(entry.heartbeat);
    log.warn("stopped with runs still in flight; their leases will expire", {
      runIds: [...running.keys()],
      graceMs,
    });
  };

  log.info("worker started", { concurrency: options.concurrency, leaseMs });
  return {
    id: workerId,
    active: () => running.size,
    stop(stopOptions = {}) {
      stopping ??= stop(stopOptions.graceMs ?? DEFAULT_STOP_GRACE_MS);
      return stopping;
    },
  };
}
