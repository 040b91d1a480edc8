/**
 * `npm exec tsx bench/tracing-spans.ts -- [--steps N --repeats N --baseline REV]`: the CPU
 * one engine step's spans cost, without the engine or a database. Each step makes the five
 * spans a tool step makes, with the attributes production gives them (`step`, `chat <model>`,
 * `policy.decide`, `db.run-write`, `execute_tool <tool>`, under one `run.attempt`), through
 * `startTracing()`'s production path: the masking processor, the BatchSpanProcessor and the
 * OTLP/HTTP protobuf exporter posting to a receiver in this process (`lib/span-receiver.ts`).
 *
 * A repeat is N steps with tracing off, N with it on (the final export included), and N
 * with an exporter that discards what it is handed (the spans' own cost, without export);
 * tracing's cost per step is (CPU on − CPU off) ÷ N, this process's CPU (`process.cpuUsage`,
 * all threads), and the figure is the minimum over the repeats: the least disturbed one.
 * `--baseline REV` also measures `server/telemetry/tracing.ts` as it was at REV, in the same
 * process, the repeats alternating between the two, so that both see the same machine.
 *
 * It prints a table and, as its last line, one JSON object. It never asserts timings.
 */
import { execFileSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { parseArgs } from "node:util";
import { ExportResultCode } from "@opentelemetry/core";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import * as current from "../server/telemetry/tracing";
import { startSpanReceiver } from "./lib/span-receiver";
import { printTable, round } from "./lib/stats";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "2000" },
    repeats: { type: "string", default: "9" },
    baseline: { type: "string" },
  },
});
const STEPS = Number(args.steps);
const REPEATS = Number(args.repeats);

/** The part of the tracing module's API the engine's step uses (the same at every revision measured). */
type TracingModule = Pick<
  typeof current,
  "startTracing" | "stopTracing" | "openSpan" | "traced" | "enterSpan" | "contextOf" | "maskTraceWith" | "otlpExporter"
>;

/** One tool step's spans, as run-tracing.ts, genai.ts, evaluate-call.ts and run-write.ts make them. */
async function oneStep(tracing: TracingModule, attempt: current.OpenSpan, index: number): Promise<void> {
  const step = tracing.openSpan("step", { "airlock.step.index": index }, { parent: tracing.contextOf(attempt) });
  tracing.enterSpan(step);
  await tracing.traced(
    "chat demo",
    {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "airlock.demo",
      "gen_ai.request.model": "demo",
      "airlock.model.attempt": 1,
    },
    async (span) => {
      span.set({
        "gen_ai.response.finish_reasons": ["tool-calls"],
        "gen_ai.usage.input_tokens": 40 + index,
        "gen_ai.usage.output_tokens": 12,
        "airlock.model.ttft_ms": undefined,
        "airlock.model.tool_calls": 1,
      });
    },
    { kind: current.SpanKind.CLIENT, leaf: true },
  );
  await tracing.traced(
    "policy.decide",
    { "gen_ai.tool.name": "read_note" },
    async (span) => {
      span.set({
        "airlock.policy.decision": "ALLOW",
        "airlock.policy.reasons": ["READ tools run without approval"],
        "airlock.policy.version": 1,
        "airlock.policy.rule_id": null,
        "airlock.policy.required_approvals": 0,
        "airlock.tool.risk_class": "READ",
      });
    },
    { leaf: true },
  );
  await tracing.traced(
    "db.run-write",
    {
      "db.system.name": "postgresql",
      "db.operation.name": "airlock_write_run",
      "airlock.write.step": true,
      "airlock.write.calls": 1,
      "airlock.write.finished": undefined,
      "airlock.write.events": 3,
      "airlock.write.audits": undefined,
    },
    async () => {},
    { leaf: true },
  );
  await tracing.traced(
    "execute_tool read_note",
    {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "read_note",
      "gen_ai.tool.call.id": `call-${index}`,
      "airlock.tool.risk_class": "READ",
      "airlock.tool.approved": undefined,
      "airlock.tool.edited": undefined,
      "airlock.tool.network": undefined,
      "airlock.mcp.server": undefined,
    },
    async (span) => {
      span.set({ "airlock.tool.outcome": "SUCCEEDED", "airlock.tool.error": undefined });
    },
  );
  step.end();
}

/** Takes every batch and drops it: what creating and ending the spans cost, without their export. */
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
  forceFlush: async () => {},
};

/** CPU milliseconds of this process for N steps, with tracing on (to `exporter`) or off (null). */
async function cpuOfSteps(tracing: TracingModule, exporter: (() => SpanExporter) | null): Promise<number> {
  const before = process.cpuUsage();
  if (exporter) tracing.startTracing({ exporter: exporter() });
  const attempt = tracing.openSpan("run.attempt", { "airlock.run.id": "bench" });
  await attempt.within(async () => {
    tracing.maskTraceWith(new Set());
    for (let index = 0; index < STEPS; index++) {
      await oneStep(tracing, attempt, index);
      // A step waits on the database at least once: the exporter's requests progress meanwhile
      // (without it the batch processor's queue fills and drops spans, which costs nothing).
      await nextTurn();
    }
  });
  attempt.end();
  // Exports what is still buffered: its cost is tracing's too.
  await tracing.stopTracing();
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000;
}

/** The tracing module as it was at `revision`, beside this one (its imports pointed back at server/). */
async function loadBaseline(revision: string): Promise<{ module: TracingModule; remove: () => Promise<void> }> {
  const source = execFileSync("git", ["show", `${revision}:server/telemetry/tracing.ts`], { encoding: "utf8" });
  const file = join(import.meta.dirname, `.tracing-baseline-${process.pid}.ts`);
  await writeFile(file, source.replaceAll('from "../', 'from "../server/'));
  return { module: (await import(file)) as TracingModule, remove: () => rm(file, { force: true }) };
}

const receiver = await startSpanReceiver();
const baseline = args.baseline ? await loadBaseline(args.baseline) : null;
const sides: { label: string; module: TracingModule; costs: number[]; spanCosts: number[] }[] = [
  ...(baseline ? [{ label: `baseline (${args.baseline})`, module: baseline.module, costs: [], spanCosts: [] }] : []),
  { label: "this tree", module: current, costs: [], spanCosts: [] },
];
const toReceiver = (tracing: TracingModule) => () =>
  tracing.otlpExporter({ url: receiver.url, protocol: "http/protobuf" });
try {
  for (let repeat = -1; repeat < REPEATS; repeat++) {
    // Alternate which side goes first, so drift falls on both alike; repeat -1 is warm-up.
    const order = repeat % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const off = await cpuOfSteps(side.module, null);
      const on = await cpuOfSteps(side.module, toReceiver(side.module));
      const spansOnly = await cpuOfSteps(side.module, () => discard);
      if (repeat < 0) continue;
      side.costs.push(((on - off) / STEPS) * 1000);
      side.spanCosts.push(((spansOnly - off) / STEPS) * 1000);
    }
  }
} finally {
  await baseline?.remove();
  await receiver.stop();
}

const SPANS_PER_STEP = 5;
const summary = (costs: number[]) => {
  const sorted = [...costs].sort((a, b) => a - b);
  const at = (index: number) => round(sorted[index] as number, 1);
  return [
    at(0),
    at(Math.floor(sorted.length / 2)),
    at(sorted.length - 1),
    round((sorted[0] as number) / SPANS_PER_STEP, 1),
  ];
};
printTable(
  `Tracing's CPU per step — ${REPEATS} repeats × ${STEPS} steps × ${SPANS_PER_STEP} spans (${receiver.spans()} spans received), µs`,
  ["code", "min", "median", "max", "per span (min)"],
  sides.flatMap((side) => [
    [`${side.label}: spans + OTLP/HTTP protobuf to a local receiver`, ...summary(side.costs)],
    [`${side.label}: spans only (exporter discards)`, ...summary(side.spanCosts)],
  ]),
);
const minimum = (costs: number[]) => round(Math.min(...costs), 1);
const mine = sides.at(-1) as (typeof sides)[number];
const result: Record<string, number> = {
  tracingCpuPerStepUs: minimum(mine.costs),
  spanCpuPerStepUs: minimum(mine.spanCosts),
};
if (baseline) {
  result.baselineTracingCpuPerStepUs = minimum((sides[0] as (typeof sides)[number]).costs);
  result.baselineSpanCpuPerStepUs = minimum((sides[0] as (typeof sides)[number]).spanCosts);
}
console.log(JSON.stringify(result));
