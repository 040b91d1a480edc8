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
 *      OTLP/HTTP to a receiver in this process) against tracing off, in interleaved
 *      rounds of one run on and two off; the median of the rounds' p50 ratios, with the
 *      same comparison of the two "off" runs as its noise floor (A/A).
 *
 * It prints tables and, as its last line, one JSON object. It never asserts timings.
 * Options: --runs N (runs of the long script, default 5), --steps N (default 200),
 * --parallel-runs N (default 20), --ttft-samples N (default 30), --tracing-rounds N
 * (default 30), --only LIST (some of steps,parallel,ttft,tracing; default all).
 */
import { parseArgs } from "node:util";
import { streamRunEvents } from "../server/agent/run-stream";
import { type OtlpProtocol, otlpExporter, startTracing, stopTracing } from "../server/telemetry/tracing";
import { type AirlockDriver, SLEEP_TOOL_NAME, startAirlockDriver } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { ModelCallClock } from "./lib/script";
import { startSpanReceiver } from "./lib/span-receiver";
import { formatMs, maximum, mean, median, percentile, printTable, round, stepWindow } from "./lib/stats";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    steps: { type: "string", default: "200" },
    "parallel-runs": { type: "string", default: "20" },
    "ttft-samples": { type: "string", default: "30" },
    "tracing-rounds": { type: "string", default: "30" },
    /** The exporter's encoding (production's default: http/protobuf). */
    "otlp-protocol": { type: "string", default: "http/protobuf" },
    only: { type: "string", default: "steps,parallel,ttft,tracing" },
  },
});
const RUNS = Number(args.runs);
const STEPS = Number(args.steps);
const PARALLEL_RUNS = Number(args["parallel-runs"]);
const TTFT_SAMPLES = Number(args["ttft-samples"]);
const TRACING_ROUNDS = Number(args["tracing-rounds"]);
const OTLP_PROTOCOL = args["otlp-protocol"] as OtlpProtocol;
if (OTLP_PROTOCOL !== "http/protobuf" && OTLP_PROTOCOL !== "http/json") {
  throw new Error(`--otlp-protocol: expected http/protobuf or http/json, got ${OTLP_PROTOCOL}`);
}
const SECTIONS = new Set(args.only.split(","));
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
    [["all", formatMs(median(all)), formatMs(percentile(all, 99)), formatMs(mean(all)), formatMs(maximum(all))]],
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

/** One run of the long script, timed: its steps' overheads and the CPU this process spent per step. */
async function timedRun(driver: AirlockDriver, steps: number, after: () => Promise<void> = async () => {}) {
  const cpuBefore = process.cpuUsage();
  const overheads = await driver.runConversation({ toolSteps: steps, callsPerStep: 1 });
  // With tracing on: the spans still buffered are exported here, and their cost is counted.
  await after();
  const cpu = process.cpuUsage(cpuBefore);
  return { overheads, p50: median(overheads), cpuPerStepMs: (cpu.user + cpu.system) / 1000 / steps };
}

type TimedRun = Awaited<ReturnType<typeof timedRun>>;
/** One round: a run with tracing on and two with it off, in an order that rotates from round to round. */
interface TracingRound {
  on: TimedRun;
  off: TimedRun;
  /** The second "off" run: against `off`, by the same method, it gives the method's noise floor (A/A). */
  offAgain: TimedRun;
}

const percent = (value: number, base: number) => ((value - base) / base) * 100;

/** Turns rounds into one overhead figure: `side` ("on", or "offAgain" for the A/A) against "off". */
type Method = (rounds: TracingRound[], side: "on" | "offAgain") => number;

/**
 * Each round's (p50 of the side − p50 off) ÷ p50 off, the median over rounds: pairs runs
 * that ran close together, so drift between rounds cancels; of the three methods, the one
 * whose A/A moved least (bench/README, "Tracing's cost").
 */
const medianOfRounds: Method = (rounds, side) => median(rounds.map((round) => percent(round[side].p50, round.off.p50)));

/** The ways compared, each applied alike to on vs off (A/B) and to off again vs off (A/A). */
const METHODS: [string, Method][] = [
  ["median of the rounds' p50 ratios (tracingOverheadPct)", medianOfRounds],
  [
    "pooled p50: p50 of all steps on vs all steps off",
    (rounds, side) =>
      percent(
        median(rounds.flatMap((round) => round[side].overheads)),
        median(rounds.flatMap((round) => round.off.overheads)),
      ),
  ],
  [
    "mean of the rounds' p50s, on vs off",
    (rounds, side) => percent(mean(rounds.map((round) => round[side].p50)), mean(rounds.map((round) => round.off.p50))),
  ],
];

/** The method over each third of the rounds: how far one figure moves with the rounds it is given. */
function thirds(rounds: TracingRound[], method: Method, side: "on" | "offAgain"): number[] {
  const size = Math.ceil(rounds.length / 3);
  return [0, 1, 2].map((third) => method(rounds.slice(third * size, (third + 1) * size), side));
}

/**
 * Tracing's cost, in this one process: rounds of three runs, one with tracing on (every
 * span exported over OTLP/HTTP to a receiver in this process) and two with it off, the
 * order rotating every round so that drift on a shared machine falls on each alike. The
 * second "off" run, measured against the first by the same method, is the noise floor
 * (A/A): a method is as good as its A/A is close to 0. Within one run tracing cannot be
 * switched cleanly (a run's spans hang under its attempt span, opened as the run starts).
 */
async function measureTracingOverhead(driver: AirlockDriver) {
  const receiver = await startSpanReceiver();
  // The exporter production builds from OTEL_EXPORTER_OTLP_PROTOCOL, to the receiver.
  const startExporting = () => startTracing({ exporter: otlpExporter({ url: receiver.url, protocol: OTLP_PROTOCOL }) });
  const rounds: TracingRound[] = [];
  try {
    // Unmeasured runs first, both ways: the tracing code's JIT warm-up is not its cost.
    for (let run = 0; run < 2; run++) {
      await driver.runConversation({ toolSteps: WARM_UP_STEPS, callsPerStep: 1 });
      startExporting();
      await driver.runConversation({ toolSteps: WARM_UP_STEPS, callsPerStep: 1 }).finally(() => stopTracing());
    }
    const runs: Record<keyof TracingRound, () => Promise<TimedRun>> = {
      off: () => timedRun(driver, STEPS),
      on: () => {
        startExporting();
        return timedRun(driver, STEPS, stopTracing);
      },
      offAgain: () => timedRun(driver, STEPS),
    };
    const orders: (keyof TracingRound)[][] = [
      ["off", "on", "offAgain"],
      ["on", "offAgain", "off"],
      ["offAgain", "off", "on"],
      ["off", "offAgain", "on"],
      ["on", "off", "offAgain"],
      ["offAgain", "on", "off"],
    ];
    for (let index = 0; index < TRACING_ROUNDS; index++) {
      const round: Partial<TracingRound> = {};
      for (const side of orders[index % orders.length] as (keyof TracingRound)[]) round[side] = await runs[side]();
      const done = round as TracingRound;
      rounds.push(done);
      process.stderr.write(
        `  tracing round ${index + 1}/${TRACING_ROUNDS}: p50 off ${formatMs(done.off.p50)} ms, on ${formatMs(done.on.p50)} ms, off again ${formatMs(done.offAgain.p50)} ms\n`,
      );
    }
  } finally {
    await receiver.stop();
  }
  const pct = (value: number) => `${round(value, 1)} %`;
  const range = (values: number[]) => `${round(Math.min(...values), 1)} – ${round(Math.max(...values), 1)} %`;
  const side = (pick: (round: TracingRound) => number) => median(rounds.map(pick));
  printTable(
    `Tracing — ${TRACING_ROUNDS} rounds of one run on and two off (order rotating) × ${STEPS} steps (${receiver.spans()} spans received, ${OTLP_PROTOCOL}); per-step overhead`,
    ["method", "on vs off (A/B)", "off again vs off (A/A)", "A/B over each third of the rounds", "A/A over each third"],
    METHODS.map(([name, method]) => [
      name,
      pct(method(rounds, "on")),
      pct(method(rounds, "offAgain")),
      range(thirds(rounds, method, "on")),
      range(thirds(rounds, method, "offAgain")),
    ]),
  );
  const cpuPerRound = rounds.map((round) => percent(round.on.cpuPerStepMs, round.off.cpuPerStepMs));
  const cpuFloor = rounds.map((round) => percent(round.offAgain.cpuPerStepMs, round.off.cpuPerStepMs));
  printTable(
    "Per side, medians of the rounds",
    ["", "off", "on (OTLP/HTTP to a local receiver)", "off again", "on vs off (rounds' median)", "A/A"],
    [
      [
        "per-step overhead p50, ms",
        formatMs(side((round) => round.off.p50)),
        formatMs(side((round) => round.on.p50)),
        formatMs(side((round) => round.offAgain.p50)),
        pct(median(rounds.map((round) => percent(round.on.p50, round.off.p50)))),
        pct(median(rounds.map((round) => percent(round.offAgain.p50, round.off.p50)))),
      ],
      [
        "CPU of this process per step, ms (on: with the final export)",
        formatMs(side((round) => round.off.cpuPerStepMs)),
        formatMs(side((round) => round.on.cpuPerStepMs)),
        formatMs(side((round) => round.offAgain.cpuPerStepMs)),
        pct(median(cpuPerRound)),
        pct(median(cpuFloor)),
      ],
    ],
  );
  return { overhead: medianOfRounds(rounds, "on"), floor: medianOfRounds(rounds, "offAgain") };
}

const results = await withBenchDatabase(async () => {
  const clock = new ModelCallClock();
  const driver = await startAirlockDriver({ clock, maxSteps: Math.max(STEPS, WARM_UP_STEPS) + 10 });
  try {
    const results: Record<string, number> = {};
    if (SECTIONS.has("steps")) {
      const steps = await measureSteps(driver);
      results.stepOverheadP50Ms = round(steps.p50, 3);
      results.stepOverheadP99Ms = round(steps.p99, 3);
      results.step200OverStep1 = round(steps.lastOverFirst, 3);
    }
    if (SECTIONS.has("parallel")) results.parallel8x100msMs = round(await measureParallelStep(driver, clock));
    if (SECTIONS.has("ttft")) results.ttftAddedMs = round(await measureFirstToken(driver, clock));
    if (SECTIONS.has("tracing")) {
      const tracing = await measureTracingOverhead(driver);
      results.tracingOverheadPct = round(tracing.overhead, 2);
      results.tracingAaFloorPct = round(tracing.floor, 2);
    }
    return results;
  } finally {
    await driver.stop();
  }
});
// The last line: one JSON object for tools to read.
console.log(JSON.stringify(results));
