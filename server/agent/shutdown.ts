/**
 * What an app instance does on SIGTERM/SIGINT, worker or web-only: stop claiming, let its
 * runs' tool calls finish within the grace and hand the runs back (worker.ts), then close
 * every run event stream after it delivered what was committed during the grace
 * (run-stream.ts), give those last bytes a moment to leave, and exit. Kept under the
 * 10 s a process manager (Docker, systemd, `npm start`) usually waits before SIGKILL.
 */
import { stopMcpClients } from "../mcp/manager";
import { logger } from "../telemetry/logger";
import { closeRunStreams, openRunStreamCount } from "./run-stream";
import type { Worker } from "./worker";

export const SHUTDOWN_GRACE_MS = 6_000;
const STREAM_CLOSE_MS = 1_500;
const FLUSH_MS = 150;

export async function shutDownInstance(options: { worker: Worker | null; graceMs?: number }): Promise<void> {
  const graceMs = options.graceMs ?? SHUTDOWN_GRACE_MS;
  logger.info("stopping", { inFlight: options.worker?.active() ?? 0, streams: openRunStreamCount(), graceMs });
  await options.worker?.stop({ graceMs }).catch((error) => logger.error("the worker did not stop cleanly", { error }));
  // MCP stdio servers die with the instance (and on exit regardless: stdio-transport.ts).
  await stopMcpClients().catch((error) => logger.warn("closing the MCP connections failed", { error }));
  await closeRunStreams(STREAM_CLOSE_MS);
  // The streams' last frames are written; let the HTTP layer send them before exiting.
  await new Promise((resolve) => setTimeout(resolve, FLUSH_MS));
}

/** Installs the handler once per process; `before` runs first (e.g. clearing timers). */
export function exitGracefullyOnSignals(options: { worker: Worker | null; graceMs?: number; before?: () => void }) {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info("signal received", { signal });
    options.before?.();
    void shutDownInstance(options).finally(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
