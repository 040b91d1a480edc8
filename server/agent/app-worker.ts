/** The worker each app instance runs (unless AIRLOCK_WORKER=off), with the built-in tools. */
import { env } from "../env";
import { logger } from "../telemetry/logger";
import { builtInTools } from "../tools/built-in";
import { defaultEngineDependencies } from "./engine-config";
import { startWorker, type Worker } from "./worker";

const globalForWorker = globalThis as unknown as { airlockWorker?: Promise<Worker | null> };

export function startAppWorker(): Promise<Worker | null> {
  globalForWorker.airlockWorker ??= (async () => {
    if (!env().AIRLOCK_WORKER) {
      logger.info("run worker disabled (AIRLOCK_WORKER=off)");
      return null;
    }
    const worker = await startWorker({
      deps: defaultEngineDependencies(builtInTools()),
      concurrency: env().WORKER_CONCURRENCY,
    });
    const stop = () => void worker.stop().finally(() => process.exit(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    return worker;
  })();
  return globalForWorker.airlockWorker;
}
