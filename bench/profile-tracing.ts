/**
 * `npm exec tsx bench/profile-tracing.ts -- [--runs N --steps N --out DIR]`: where tracing's
 * time goes. Not a benchmark: it runs the engine's long script through the production
 * worker with tracing on (every span exported over OTLP/HTTP to a receiver in this
 * process) and with tracing off, alternately, and writes one V8 CPU profile of each side
 * (`tracing-on.cpuprofile`, `tracing-off.cpuprofile`, loadable in Chrome DevTools), so
 * the two can be compared function by function. The "on" profile includes the export of
 * the spans still buffered when a run ends.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { otlpExporter, startTracing, stopTracing } from "../server/telemetry/tracing";
import { startAirlockDriver } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { ModelCallClock } from "./lib/script";
import { startSpanReceiver } from "./lib/span-receiver";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "6" },
    steps: { type: "string", default: "200" },
    out: { type: "string", default: "." },
  },
});
const RUNS = Number(args.runs);
const STEPS = Number(args.steps);
process.env.LOG_LEVEL ??= "warn";

interface Profile {
  nodes: { id: number }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

await withBenchDatabase(async () => {
  const driver = await startAirlockDriver({ clock: new ModelCallClock(), maxSteps: STEPS + 10 });
  const receiver = await startSpanReceiver();
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 100 });
  const startExporting = () =>
    startTracing({ exporter: otlpExporter({ url: receiver.url, protocol: "http/protobuf" }) });
  try {
    for (let run = 0; run < 2; run++) {
      await driver.runConversation({ toolSteps: 50, callsPerStep: 1 });
      startExporting();
      await driver.runConversation({ toolSteps: 50, callsPerStep: 1 }).finally(() => stopTracing());
    }
    const profiles: Record<"on" | "off", Profile[]> = { on: [], off: [] };
    const cpuMs = { on: 0, off: 0 };
    for (let run = 0; run < RUNS; run++) {
      for (const side of run % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
        if (side === "on") startExporting();
        await session.post("Profiler.start");
        const cpuBefore = process.cpuUsage();
        await driver.runConversation({ toolSteps: STEPS, callsPerStep: 1 });
        if (side === "on") await stopTracing();
        const cpu = process.cpuUsage(cpuBefore);
        const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile };
        profiles[side].push(profile);
        cpuMs[side] += (cpu.user + cpu.system) / 1000;
      }
    }
    for (const side of ["on", "off"] as const) {
      // One profile per side: the runs' samples one after another (node ids are per profile, so offset them).
      const merged = mergeProfiles(profiles[side]);
      const file = join(args.out, `tracing-${side}.cpuprofile`);
      await writeFile(file, JSON.stringify(merged));
      process.stdout.write(
        `${side}: ${file}, CPU ${(cpuMs[side] / (RUNS * STEPS)).toFixed(3)} ms per step over ${RUNS} runs × ${STEPS} steps\n`,
      );
    }
    process.stdout.write(`spans received: ${receiver.spans()}\n`);
  } finally {
    session.disconnect();
    await receiver.stop();
    await driver.stop();
  }
});

function mergeProfiles(profiles: Profile[]): Profile {
  const merged: Profile = { nodes: [], samples: [], timeDeltas: [], startTime: 0, endTime: 0 };
  let offset = 0;
  for (const profile of profiles) {
    const shift = (id: number) => id + offset;
    for (const node of profile.nodes as { id: number; children?: number[] }[]) {
      merged.nodes.push({
        ...node,
        id: shift(node.id),
        ...(node.children ? { children: node.children.map(shift) } : {}),
      });
    }
    merged.samples.push(...profile.samples.map(shift));
    merged.timeDeltas.push(...profile.timeDeltas);
    offset += Math.max(...profile.nodes.map((node) => node.id));
  }
  merged.startTime = profiles[0]?.startTime ?? 0;
  merged.endTime = merged.startTime + merged.timeDeltas.reduce((sum, delta) => sum + delta, 0);
  return merged;
}
