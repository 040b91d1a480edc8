/**
 * `npm exec tsx bench/profile-engine.ts -- [--steps N]`: where the engine's time goes. Not a benchmark
 * (the instrumentation costs a little): it wraps node-postgres's Client#query, which every
 * Prisma query goes through via @prisma/adapter-pg, and prints
 *   - for one tool step: round trips, time waiting on Postgres versus in Node, each
 *     statement's cost early and late in a long run, and the timeline of one step;
 *   - for one step with 8 parallel 100 ms tool calls: every query between the model calls;
 *   - for one text answer: every query from sending the message to the first token
 *     reaching a subscriber, with the model call and first token marked.
 */
import { parseArgs } from "node:util";
import { streamRunEvents } from "../server/agent/run-stream";
import { type AirlockDriver, SLEEP_TOOL_NAME, startAirlockDriver } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { type QueryRecord, recordQueries } from "./lib/round-trips";
import { ModelCallClock } from "./lib/script";
import { formatMs, median, printTable } from "./lib/stats";

const { values: args } = parseArgs({ options: { steps: { type: "string", default: "200" } } });
const STEPS = Number(args.steps);
process.env.LOG_LEVEL ??= "warn";

/** Time with at least one query in flight (parallel queries counted once). */
function busyMs(queries: QueryRecord[]): number {
  const spans = queries.map((query) => [query.startedAt, query.finishedAt] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [start, finish] of spans) {
    if (finish <= end) continue;
    total += finish - Math.max(start, end);
    end = finish;
  }
  return total;
}

/** Queries in order with their start relative to `origin` and the Node time before each. */
function printTimeline(title: string, queries: QueryRecord[], origin: number, markers: [string, number][] = []) {
  const rows: { at: number; cells: string[] }[] = [];
  let previousEnd = origin;
  for (const query of queries) {
    rows.push({
      at: query.startedAt,
      cells: [
        query.text,
        formatMs(query.startedAt - origin),
        formatMs(Math.max(0, query.startedAt - previousEnd)),
        formatMs(query.finishedAt - query.startedAt),
      ],
    });
    previousEnd = Math.max(previousEnd, query.finishedAt);
  }
  for (const [label, at] of markers) rows.push({ at, cells: [`>>> ${label}`, formatMs(at - origin), "", ""] });
  rows.sort((a, b) => a.at - b.at);
  printTable(
    title,
    ["statement", "at", "gap", "took"],
    rows.map((row) => row.cells),
  );
}

async function profileSteps(driver: AirlockDriver, clock: ModelCallClock): Promise<void> {
  await driver.runConversation({ toolSteps: 20, callsPerStep: 1 });
  const stopRecording = recordQueries();
  const cpuBefore = process.cpuUsage();
  const overheads = await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 });
  const cpu = process.cpuUsage(cpuBefore);
  const records = stopRecording();

  const calls = clock.modelCalls();
  // Steps 2..n-1 only: the first and last steps also carry the run's start and finish.
  const perStep: { queries: QueryRecord[]; wall: number }[] = [];
  for (let step = 2; step < calls.length - 1; step++) {
    const from = (calls[step - 1] as { startedAt: number }).startedAt;
    const to = (calls[step] as { startedAt: number }).startedAt;
    perStep.push({
      queries: records.filter((query) => query.startedAt >= from && query.startedAt < to),
      wall: to - from,
    });
  }
  printTable(
    `One tool step (median of steps 2–${calls.length - 2} of a ${STEPS}-step run)`,
    ["", "value"],
    [
      ["step wall time, ms", formatMs(median(perStep.map((step) => step.wall)))],
      ["step overhead (model time subtracted), ms", formatMs(median(overheads))],
      ["round trips to Postgres", median(perStep.map((step) => step.queries.length))],
      [
        "  of which COMMIT (one WAL flush each)",
        median(perStep.map((step) => step.queries.filter((query) => query.text === "COMMIT").length)),
      ],
      ["time with a query in flight, ms", formatMs(median(perStep.map((step) => busyMs(step.queries))))],
      ["time in Node between queries, ms", formatMs(median(perStep.map((step) => step.wall - busyMs(step.queries))))],
      ["Node process CPU per step (all threads), ms", formatMs((cpu.user + cpu.system) / 1000 / STEPS)],
    ],
  );

  // Each statement early and late in the run, so one whose cost grows with history stands out.
  const durations = (steps: typeof perStep) => {
    const byText = new Map<string, number[]>();
    for (const step of steps) {
      for (const query of step.queries) {
        const list = byText.get(query.text) ?? [];
        list.push(query.finishedAt - query.startedAt);
        byText.set(query.text, list);
      }
    }
    return byText;
  };
  const early = durations(perStep.slice(0, 20));
  const late = durations(perStep.slice(-20));
  printTable(
    "Statements of one step: median ms each, in the first and the last 20 steps measured",
    ["statement", "per step", "early", "late", "ms/step (late)"],
    [...late.entries()]
      .sort((a, b) => median(b[1]) * b[1].length - median(a[1]) * a[1].length)
      .map(([text, list]) => [
        text,
        (list.length / 20).toFixed(1),
        formatMs(median(early.get(text) ?? [])),
        formatMs(median(list)),
        formatMs((median(list) * list.length) / 20),
      ]),
  );

  const sampleIndex = Math.floor(perStep.length / 2);
  const sample = perStep[sampleIndex];
  const sampleCall = calls[sampleIndex + 1];
  if (sample && sampleCall) {
    printTimeline(
      `Timeline of step ${sampleIndex + 2}, ms from the model call that starts it (gap: time in Node before the query)`,
      sample.queries,
      sampleCall.startedAt,
      [
        ["model answered", sampleCall.finishedAt],
        ["next model call", sampleCall.startedAt + sample.wall],
      ],
    );
  }
}

async function profileParallelStep(driver: AirlockDriver, clock: ModelCallClock): Promise<void> {
  const script = { toolSteps: 1, callsPerStep: 8, toolName: SLEEP_TOOL_NAME };
  for (let run = 0; run < 3; run++) await driver.runConversation(script);
  const stopRecording = recordQueries();
  await driver.runConversation(script);
  const records = stopRecording();
  const [first, second] = clock.modelCalls();
  if (!first || !second) return;
  printTimeline(
    "One step with 8 parallel tool calls of 100 ms: every query between the two model calls, ms",
    records.filter((query) => query.startedAt >= first.startedAt && query.startedAt < second.startedAt),
    first.startedAt,
    [
      ["model answered", first.finishedAt],
      ["next model call", second.startedAt],
    ],
  );
}

async function profileFirstToken(driver: AirlockDriver, clock: ModelCallClock): Promise<void> {
  driver.settings.script = { toolSteps: 0, callsPerStep: 0 };
  driver.settings.text = { tokens: 20, intervalMs: 20 };
  for (let sample = 0; sample < 4; sample++) {
    const conversationId = await driver.newConversation();
    clock.reset();
    const stopRecording = sample === 3 ? recordQueries() : () => [];
    const sentAt = performance.now();
    const runId = await driver.send(conversationId, "Say something.");
    let seenAt = Number.NaN;
    for await (const event of streamRunEvents({ runId, afterSeq: 0 })) {
      if (event.data.type === "text-delta") {
        seenAt = performance.now();
        break;
      }
    }
    const records = stopRecording();
    await driver.waitForRun(runId);
    if (sample < 3) continue;
    const call = clock.modelCalls()[0];
    printTimeline(
      "Time to first token: every query from sending the message until a subscriber has the first token, ms",
      records.filter((query) => query.startedAt <= seenAt),
      sentAt,
      [
        ["model called", call?.startedAt ?? Number.NaN],
        ["model's first token", call?.firstTokenAt ?? Number.NaN],
        ["subscriber has the first token", seenAt],
      ],
    );
  }
}

await withBenchDatabase(async () => {
  const clock = new ModelCallClock();
  const driver = await startAirlockDriver({ clock, maxSteps: Math.max(STEPS, 20) + 10 });
  try {
    await profileSteps(driver, clock);
    await profileParallelStep(driver, clock);
    await profileFirstToken(driver, clock);
  } finally {
    await driver.stop();
  }
});
