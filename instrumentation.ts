// Next.js calls register() once per server process: start tracing (when an OTLP endpoint
// is configured), load the console's model settings (and follow their changes), then start
// this instance's run worker.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startTracing } = await import("./server/telemetry/tracing");
  startTracing();
  const { startModelConfigSync } = await import("./server/models/model-config");
  const { logger } = await import("./server/telemetry/logger");
  await startModelConfigSync().catch((error: Error) =>
    logger.warn("model settings from the console are not loaded; using the environment's", { error: error.message }),
  );
  const { startAppWorker } = await import("./server/agent/app-worker");
  await startAppWorker();
}
