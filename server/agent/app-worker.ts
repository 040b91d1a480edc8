/**
 * What each app instance runs in the background (unless AIRLOCK_WORKER=off): the run
 * worker with the process's tool registry, and the sweeper that expires overdue
 * approval requests (safe to run on every instance: each expiry is a locked transition).
 */
import { expireOverdueApprovals } from "../approvals/expire-approvals";
import { env } from "../env";
import { logger } from "../telemetry/logger";
import { defaultToolRegistry } from "../tools/default-registry";
import { defaultEngineDependencies } from "./engine-config";
import { exitGracefullyOnSignals } from "./shutdown";
import { startWorker, type Worker } from "./worker";

const EXPIRY_SWEEP_MS = 10_000;

const globalForWorker = globalThis as unknown as { airlockWorker?: Promise<Worker | null> };

export function startAppWorker(): Promise<Worker | null> {
  globalForWorker.airlockWorker ??= (async () => {
    if (!env().AIRLOCK_WORKER) {
      logger.info("run worker disabled (AIRLOCK_WORKER=off)");
      // Its run event streams still close cleanly on SIGTERM.
      exitGracefullyOnSignals({ worker: null });
      return null;
    }
    const worker = await startWorker({
      deps: defaultEngineDependencies(defaultToolRegistry()),
      concurrency: env().WORKER_CONCURRENCY,
    });
    const sweeper = setInterval(() => {
      expireOverdueApprovals().catch((error) =>
        logger.warn("expiry sweep failed", { error: (error as Error).message }),
      );
    }, EXPIRY_SWEEP_MS);
    exitGracefullyOnSignals({ worker, before: () => clearInterval(sweeper) });
    return worker;
  })();
  return globalForWorker.airlockWorker;
}
