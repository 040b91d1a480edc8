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
  // Imported MCP tools join the registry before the worker takes runs; a server that is down only fails its own tools.
  const { startMcpClients } = await import("./server/mcp/manager");
  await startMcpClients().catch((error: Error) =>
    logger.warn("MCP servers are not loaded; their tools are unavailable until they are", { error: error.message }),
  );
  const { startAppWorker } = await import("./server/agent/app-worker");
  await startAppWorker();
}
