/**
 * A worker process for the tracing tests: tracing started from the standard OTEL_*
 * variables (the test points OTEL_EXPORTER_OTLP_ENDPOINT at its receiver), the scenario's
 * model and tools. SIGTERM stops the worker, flushes the spans and exits.
 */
import { startWorker } from "../agent/worker";
import { startTracing, stopTracing } from "../telemetry/tracing";
import { testEngineDependencies } from "./fixtures";
import { traceScenarioModel, traceScenarioTools } from "./trace-scenario";

async function main() {
  if (!startTracing()) throw new Error("OTEL_EXPORTER_OTLP_ENDPOINT is not set");
  const worker = await startWorker({
    deps: testEngineDependencies({ model: traceScenarioModel(), tools: traceScenarioTools() }),
    concurrency: 2,
    pollIntervalMs: 100,
  });
  process.send?.({ type: "ready" });
  process.once("SIGTERM", () => {
    void worker
      .stop({ graceMs: 2_000 })
      .then(() => stopTracing())
      .finally(() => process.exit(0));
  });
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
