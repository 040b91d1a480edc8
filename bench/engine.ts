/**
 * `npm run bench:engine`: the run engine's own cost, with a zero-latency scripted model
 * and no-op tools on the embedded PostgreSQL, through the production worker.
 *
 *   1. Per-step overhead (persistence included) over runs of 200 tool steps: p50/p99,
 *      and how it changes from the start of a run to step 200 (it should stay flat).
 *   2. One step with 8 parallel tool calls of 100 ms each: the step's wall time.
 *   3. Time to first token added by the engine: from sending the message to the first
 *      text delta reaching a subscriber of the run's event stream, minus the model's own.
 *   4. Tracing's cost: the per-step overhead with tracing on (every span exported over
 *      OTLP/HTTP to a receiver in this process) against tracing off, in alternating runs.
 *
 * It prints tables and, as its last line, one JSON object. It never asserts timings.
 * Options: --runs N (runs of the long script, default 5), --steps N (default 200),
 * --parallel-runs N (default 20), --ttft-samples N (default 30).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { streamRunEvents } from "../server/agent/run-stream";
import { startTracing, stopTracing } from "../server/telemetry/tracing";
import { type AirlockDriver, SLEEP_TOOL_NAME, startAirlockDriver } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { ModelCallClock } from "./lib/script";
import { formatMs, mean, median, percentile, printTable, round, stepWindow } from "./lib/stats";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    steps: { type: "string", default: "200" },
    "parallel-runs": { type: "string", default: "20" },
    "ttft-samples": { type: "string", default: "30" },
  },
});
const RUNS = Number(args.runs);
const STEPS = Number(args.steps);
const PARALLEL_RUNS = Number(args["parallel-runs"]);
const TTFT_SAMPLES = Number(args["ttft-samples"]);
/** Positions in a run are compared as windows of 10 steps, pooled over all runs. */
const WINDOW = 10;
/** Unmeasured runs first: JIT, Prisma's caches, Postgres's buffers. */
const WARM_UP = 3;
const WARM_UP_STEPS = 50;

// The worker logs its start and stop at info; keep the tables readable unless asked otherwise.
process.env.LOG_LEVEL ??= "warn";

async function measureSteps(driver: AirlockDriver) {
  for (let run = 0; run < WARM_UP; run++) await driver.runConversation({ toolSteps: WARM_UP_STEPS, callsPerStep: 1 });
  const runs: number[][] = [];
  for (let run = 0; run < RUNS; run++) {
    const overheads = await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 });
    runs.push(overheads);
    process.stderr.write(`  run ${run + 1}/${RUNS}: ${STEPS} steps, p50 ${formatMs(median(overheads))} ms\n`);
  }
  const all = runs.flat();
  printTable(
    `Per-step overhead — ${RUNS} runs × ${STEPS} steps (1 no-op tool call each), ms`,
    ["steps", "p50", "p99", "mean", "max"],
    [["all", formatMs(median(all)), formatMs(percentile(all, 99)), formatMs(mean(all)), formatMs(Math.max(...all))]],
  );
  const positions = [1, 41, 91, 141, STEPS - WINDOW + 1].filter(
    (from, index, all) => from >= 1 && from + WINDOW - 1 <= STEPS && all.indexOf(from) === index,
  );
  printTable(
    `Overhead by position in the run (windows of ${WINDOW} steps, pooled over runs), ms`,
    ["steps", "p50", "p99", "messages in the prompt"],
    positions.map((from) => {
      const to = from + WINDOW - 1;
      const window = stepWindow(runs, from, to);
      // Step k's model call sees the user's message plus an assistant and a tool message per earlier step.
      return [
        `${from}–${to}`,
        formatMs(median(window)),
        formatMs(percentile(window, 99)),
        `${2 * from - 1}–${2 * to - 1}`,
      ];
    }),
  );
  return {
    p50: median(all),
    p99: percentile(all, 99),
    lastOverFirst: median(stepWindow(runs, STEPS - WINDOW + 1, STEPS)) / median(stepWindow(runs, 1, WINDOW)),
  };
}

async function measureParallelStep(driver: AirlockDriver, clock: ModelCallClock): Promise<number> {
  const script = { toolSteps: 1, callsPerStep: 8, toolName: SLEEP_TOOL_NAME };
  for (let run = 0; run < WARM_UP; run++) await driver.runConversation(script);
  const durations: number[] = [];
  for (let run = 0; run < PARALLEL_RUNS; run++) {
    await driver.runConversation(script);
    // From the model call that asks for the 8 calls to the model call that gets their results.
    durations.push(clock.stepDurations()[0] as number);
  }
  printTable(
    `One step with 8 parallel tool calls of 100 ms — ${PARALLEL_RUNS} runs, step wall time in ms (ideal: 100)`,
    ["p50", "p99", "min", "max"],
    [
      [
        formatMs(median(durations)),
        formatMs(percentile(durations, 99)),
        formatMs(Math.min(...durations)),
        formatMs(Math.max(...durations)),
      ],
    ],
  );
  return median(durations);
}

async function measureFirstToken(driver: AirlockDriver, clock: ModelCallClock): Promise<number> {
  driver.settings.script = { toolSteps: 0, callsPerStep: 0 };
  // Like a real model: the first token at once, then one every 20 ms.
  driver.settings.text = { tokens: 20, intervalMs: 20 };
  const added: number[] = [];
  const beforeModel: number[] = [];
  const delivery: number[] = [];
  const modelOwn: number[] = [];
  for (let sample = 0; sample < WARM_UP + TTFT_SAMPLES; sample++) {
    // The conversation exists before the user types; sending is what the clock times.
    const conversationId = await driver.newConversation();
    clock.reset();
    const sentAt = performance.now();
    const runId = await driver.send(conversationId, "Say something.");
    let seenAt = Number.NaN;
    // What the tRPC subscription yields to the browser: stored events, then live via NOTIFY.
    for await (const event of streamRunEvents({ runId, afterSeq: 0 })) {
      if (event.data.type === "text-delta") {
        seenAt = performance.now();
        break;
      }
    }
    await driver.waitForRun(runId);
    const call = clock.modelCalls()[0];
    if (!call?.firstTokenAt || Number.isNaN(seenAt)) throw new Error(`run ${runId} streamed no text`);
    if (sample < WARM_UP) continue;
    const own = call.firstTokenAt - call.startedAt;
    modelOwn.push(own);
    added.push(seenAt - sentAt - own);
    beforeModel.push(call.startedAt - sentAt);
    delivery.push(seenAt - call.firstTokenAt);
  }
  const row = (label: string, values: number[]) => [label, formatMs(median(values)), formatMs(percentile(values, 99))];
  printTable(
    `Time to first token added by the engine — ${TTFT_SAMPLES} messages, ms (the model streams a token every 20 ms)`,
    ["", "p50", "p99"],
    [
      row("added: send → first token at a subscriber, minus the model's own", added),
      row("  send → model called (store, queue, claim, load, events)", beforeModel),
      row("  model's first token → a subscriber has it", delivery),
      row("the model's own time to first token", modelOwn),
    ],
  );
  return median(added);
}

/** A collector's OTLP/HTTP endpoint in this process: reads each export and answers 200. */
async function startSpanReceiver() {
  let spans = 0;
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      spans += (body.match(/"spanId"/g) ?? []).length;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans: () => spans,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function measureTracingOverhead(driver: AirlockDriver) {
  const receiver = await startSpanReceiver();
  const off: number[] = [];
  const on: number[] = [];
  try {
    // One unmeasured traced run first: the tracing code's JIT warm-up is not its cost.
    startTracing({ exporter: new OTLPTraceExporter({ url: receiver.url }) });
    await driver.runConversation({ toolSteps: WARM_UP_STEPS, callsPerStep: 1 }).finally(() => stopTracing());
    // Alternating runs, so drift on a shared machine affects both sides alike.
    for (let run = 0; run < RUNS; run++) {
      off.push(...(await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 })));
      startTracing({ exporter: new OTLPTraceExporter({ url: receiver.url }) });
      try {
        on.push(...(await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 })));
      } finally {
        await stopTracing();
      }
    }
  } finally {
    await receiver.stop();
  }
  const pct = ((median(on) - median(off)) / median(off)) * 100;
  printTable(
    `Tracing — per-step overhead, ${RUNS} runs each way × ${STEPS} steps, ms (${receiver.spans()} spans received)`,
    ["tracing", "p50", "p99"],
    [
      ["off", formatMs(median(off)), formatMs(percentile(off, 99))],
      ["on (OTLP/HTTP to a local receiver)", formatMs(median(on)), formatMs(percentile(on, 99))],
      ["overhead", `${round(pct, 1)} %`, ""],
    ],
  );
  return pct;
}

const results = await withBenchDatabase(async () => {
  const clock = new ModelCallClock();
  const driver = await startAirlockDriver({ clock, maxSteps: Math.max(STEPS, WARM_UP_STEPS) + 10 });
  try {
    const steps = await measureSteps(driver);
    const parallel = await measureParallelStep(driver, clock);
    const firstToken = await measureFirstToken(driver, clock);
    const tracingOverheadPct = await measureTracingOverhead(driver);
    return {
      stepOverheadP50Ms: round(steps.p50, 3),
      stepOverheadP99Ms: round(steps.p99, 3),
      step200OverStep1: round(steps.lastOverFirst, 3),
      parallel8x100msMs: round(parallel),
      ttftAddedMs: round(firstToken),
      tracingOverheadPct: round(tracingOverheadPct, 2),
    };
  } finally {
    await driver.stop();
  }
});
// The last line: one JSON object for tools to read.
console.log(JSON.stringify(results));
