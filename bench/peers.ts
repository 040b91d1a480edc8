/**
 * `npm run bench:peers`: the same scripted workload (one no-op tool call per step, then
 * text) through Airlock's engine, LangGraph JS + PostgresSaver and the OpenAI Agents JS
 * SDK, all durable per step, on one embedded PostgreSQL, plus a bare loop as the floor.
 * Per-step overhead is measured identically for all: the time between the starts of
 * consecutive model calls minus the model's own time (see lib/script.ts).
 *
 * Runs are interleaved (each round runs every framework once) so that background load
 * on the machine falls on all of them alike. Prints tables and, as its last line, one
 * JSON object with their per-step overhead divided by ours at 50 steps: the median of
 * steps 41–50, where each step carries 50 steps of history (the issue quotes the peers
 * the same way: "≈ 11 ms/step at 50 steps, growing to ≈ 30 ms/step by step 190"). The
 * table also gives the ratios over all of steps 1–50, which favour the peers (their
 * early steps are cheap).
 * Options: --runs N (rounds, default 3), --steps N (steps per run, default 200).
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { startAirlockDriver } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { type FrameworkDriver, ModelCallClock } from "./lib/script";
import { formatMs, median, percentile, printTable, round, stepWindow } from "./lib/stats";
import { startBareLoopDriver } from "./peers/bare-loop";
import { startLangGraphDriver } from "./peers/langgraph";
import { startOpenAIAgentsDriver } from "./peers/openai-agents";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    steps: { type: "string", default: "200" },
  },
});
const RUNS = Number(args.runs);
const STEPS = Number(args.steps);
/** The comparison point: the step whose per-step overhead is compared (a window of 10 ending there). */
const AT = 50;

process.env.LOG_LEVEL ??= "warn";

/**
 * Starts the next run on a collected heap (node runs with --expose-gc, see the npm script)
 * and with no autovacuum at work, so each framework pays for its own garbage and its own
 * dead rows, not for those the previous run left behind. (Not a CHECKPOINT: the first
 * write to each page after one logs the whole page, which would tax whoever runs next.)
 */
async function settle(url: string): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const busy = await client.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
      );
      if (busy.rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

interface PeerResults {
  vsLangGraphPostgres: number;
  vsOpenAIAgents: number;
}

async function main(): Promise<PeerResults> {
  return withBenchDatabase(async ({ url }) => {
    const clock = new ModelCallClock();
    const drivers: FrameworkDriver[] = [];
    try {
      const airlock = await startAirlockDriver({ clock, maxSteps: Math.max(STEPS, 30) + 10 });
      drivers.push(airlock);
      const langGraph = await startLangGraphDriver({ url, clock });
      drivers.push(langGraph);
      const agents = await startOpenAIAgentsDriver({ url, clock });
      drivers.push(agents);
      const bare = await startBareLoopDriver({ url, clock });
      drivers.push(bare);

      for (const driver of drivers) {
        for (let run = 0; run < 2; run++) await driver.runConversation({ toolSteps: 30, callsPerStep: 1 });
      }
      const runs = new Map<FrameworkDriver, number[][]>(drivers.map((driver) => [driver, []]));
      for (let round = 0; round < RUNS; round++) {
        // Each round starts with a different framework, and no run starts while autovacuum
        // is still working through the rows the previous one wrote.
        const order = drivers.map((_, index) => drivers[(index + round) % drivers.length] as FrameworkDriver);
        for (const driver of order) {
          await settle(url);
          const overheads = await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 });
          runs.get(driver)?.push(overheads);
          process.stderr.write(`  round ${round + 1}/${RUNS}: ${driver.name}: p50 ${formatMs(median(overheads))} ms\n`);
        }
      }

      const at = (driver: FrameworkDriver, from: number, to: number) => stepWindow(runs.get(driver) ?? [], from, to);
      // "At 50 steps": the 10-step window ending at step 50, pooled over the runs.
      const ours = median(at(airlock, AT - 9, AT));
      const oursFirst = median(at(airlock, 1, AT));
      // Windows of 10 steps: the start, around step 50, 100 and the end of the run.
      const windows = [1, 41, 91, STEPS - 9]
        .filter((from, index, all) => from >= 1 && from + 9 <= STEPS && all.indexOf(from) === index)
        .map((from): [number, number] => [from, from + 9]);
      printTable(
        `Per-step overhead, ms — ${RUNS} runs × ${STEPS} steps each, same scripted model and database`,
        [
          "framework",
          `p50 steps 1–${AT}`,
          `p99 steps 1–${AT}`,
          ...windows.map(([from, to]) => `p50 ${from}–${to}`),
          `÷ ours (1–${AT})`,
          `÷ ours (${AT - 9}–${AT})`,
        ],
        drivers.map((driver) => {
          const first = at(driver, 1, AT);
          return [
            driver.name,
            formatMs(median(first)),
            formatMs(percentile(first, 99)),
            ...windows.map(([from, to]) => formatMs(median(at(driver, from, to)))),
            `${(median(first) / oursFirst).toFixed(2)}×`,
            `${(median(at(driver, AT - 9, AT)) / ours).toFixed(2)}×`,
          ];
        }),
      );

      return {
        vsLangGraphPostgres: round(median(at(langGraph, AT - 9, AT)) / ours),
        vsOpenAIAgents: round(median(at(agents, AT - 9, AT)) / ours),
      };
    } finally {
      for (const driver of drivers) await driver.stop().catch(() => {});
    }
  });
}

const results = await main();
// The last line: one JSON object for tools to read.
console.log(JSON.stringify(results));
