/**
 * The job worker: claims runnable runs from Postgres, holds a lease on each while it
 * executes (renewed by heartbeat), and gives it up when done. A worker that dies stops
 * renewing; once its lease expires, any worker claims the run and resumes it from the
 * last committed step. Wakes on NOTIFY, and polls as a safety net for expired leases.
 */
import { randomUUID } from "node:crypto";
import { isDatabaseUnavailable } from "../db/errors";
import { listen } from "../db/notifications";
import { RUN_CANCEL_CHANNEL, RUNS_QUEUED_CHANNEL, renewLease } from "../db/runs";
import { LeaseLostError } from "../db/steps";
import type { EngineDependencies } from "./engine-config";
import { claimRunnableRun } from "./recovery";
import { executeRun, RunCancelledError, type RunOutcome, RunReleasedError } from "./run-engine";
import { ABORT_GRACE_MS } from "./run-tool";

/** How long stop() waits for in-flight runs unless told otherwise. */
export const DEFAULT_STOP_GRACE_MS = 10_000;
/**
 * After the grace, how long runs whose tool calls were cut get to record that and give
 * their leases back: longer than a cut tool is waited for (ABORT_GRACE_MS), or a call that
 * ignores its signal is still RUNNING when the caller exits and only a crash recovery,
 * after the lease, finds it.
 */
const CUT_WAIT_MS = ABORT_GRACE_MS + 1_000;

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
   * How long in-flight tool calls get to finish. Each run gives its lease back (QUEUED, so
   * another instance claims it at once) at the first point where that loses nothing: a
   * model stream is cut there and then (what it streamed is committed, and the next
   * worker resumes the step where it stood); running tool calls are waited for. When the
   * grace is over they are cut too: a cut call that is not a READ is recorded as
   * UNKNOWN_OUTCOME (never silently), and the run is released the same way. A run that
   * still has not let go a few seconds later is left to its lease, as after a crash.
   * The caller is expected to exit.
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
  /** Aborted when the worker stops: the run releases its lease at its next safe point. */
  release: AbortController;
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
    const release = new AbortController();
    const heartbeat = setInterval(
      () => {
        renewLease(runId, workerId, leaseMs)
          .then(({ held, cancelRequested }) => {
            if (!held) controller.abort(new LeaseLostError(runId));
            // A cancel NOTIFY can be missed across a reconnect; the row is the truth.
            else if (cancelRequested) controller.abort(new RunCancelledError());
          })
          .catch((error) => log.warn("heartbeat failed", { runId, error: (error as Error).message }));
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    const done = (async () => {
      try {
        const outcome = await executeRun({
          runId,
          workerId,
          signal: controller.signal,
          release: release.signal,
          deps,
        });
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
    running.set(runId, { controller, release, heartbeat, done });
  };

  // Fresh and recovered runs are claimed in turn (see claimNextRun).
  let preferFresh = true;
  // A database that is away (restarting) is said once when lost and once when back, not every poll.
  let databaseAway = false;
  const loop = (async () => {
    while (!stopped) {
      woken = false;
      try {
        while (!stopped && running.size < options.concurrency) {
          const claimed = await claimRunnableRun({
            workerId,
            config: deps.config,
            executing: [...running.keys()],
            preferFresh,
            logger: log,
          });
          if (databaseAway) log.info("database reachable again; claiming runs");
          databaseAway = false;
          if (!claimed) break;
          preferFresh = claimed.recovered;
          execute(claimed.runId);
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
    // Not a cancel (that would record one the user never asked for): each run gives its
    // lease back where that loses nothing, and another instance resumes it.
    for (const entry of running.values()) entry.release.abort(new RunReleasedError());
    if (await drainedWithin(graceMs)) return;
    log.warn("grace over: cutting the tool calls still running", { runIds: [...running.keys()], graceMs });
    for (const entry of running.values()) entry.controller.abort(new RunReleasedError());
    if (await drainedWithin(CUT_WAIT_MS)) return;
    // Stop renewing: the leases expire and another worker resumes these runs from their
    // last committed step, exactly as after a crash.
    for (const entry of running.values()) clearInterval(entry.heartbeat);
    log.warn("stopped with runs still in flight; their leases will expire", { runIds: [...running.keys()] });
  };

  const drainedWithin = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...running.values()].map((entry) => entry.done)).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    return drained;
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
