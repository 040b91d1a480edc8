/**
 * `npm exec tsx bench/profile-approvals.ts -- [--requests N] [--reviewers N] [--racers K]`:
 * where an approval's time goes. Not a benchmark (recording every query costs a little):
 * it wraps node-postgres's Client#query, which every Prisma query goes through, and prints
 *   - one approve call on an idle instance: its statements, then everything the worker
 *     and the subscriber do until the approved call has run, with the events marked;
 *   - three reviewers racing on one request: each one's statements and lock waits;
 *   - the throughput workload of bench:approvals (smaller by default): for all attempts,
 *     where their wall time went (waiting for a pooled connection, each statement,
 *     Node between statements) and the process's CPU.
 */
import { parseArgs } from "node:util";
import { streamRunEvents } from "../server/agent/run-stream";
import { db } from "../server/db/client";
import { AirlockError } from "../server/errors";
import type { RunEventData } from "../server/shared/run-events";
import { createTestUser } from "../server/testing/fixtures";
import { approve, askToDelete, type BenchWorker, pendingRequestOf, startBenchWorker } from "./lib/approvals";
import { withBenchDatabase } from "./lib/database";
import { countRoundTripsSettled, type QueryRecord, recordQueries } from "./lib/round-trips";
import { formatMs, median, percentile, printTable } from "./lib/stats";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "100" },
    reviewers: { type: "string", default: "50" },
    racers: { type: "string", default: "3" },
  },
});
const REQUESTS = Number(args.requests);
const REVIEWERS = Number(args.reviewers);
const RACERS = Number(args.racers);
process.env.LOG_LEVEL ??= "warn";

const eventName = (data: RunEventData) =>
  data.type === "run-status" || data.type === "tool-call-updated" ? `${data.type} ${data.status}` : data.type;

function printTimeline(title: string, queries: QueryRecord[], origin: number, markers: [string, number][] = []) {
  const rows = queries.map((query) => ({
    at: query.startedAt,
    cells: [
      query.text,
      query.scope ?? "other",
      formatMs(query.startedAt - origin),
      formatMs(query.finishedAt - query.startedAt),
    ],
  }));
  for (const [label, at] of markers) rows.push({ at, cells: [`>>> ${label}`, "", formatMs(at - origin), ""] });
  rows.sort((a, b) => a.at - b.at);
  printTable(
    title,
    ["statement", "by", "at", "took"],
    rows.map((row) => row.cells),
  );
}

async function parkedRun(bench: BenchWorker, requesterId: string, path: string) {
  const runId = await askToDelete(requesterId, path);
  await bench.waitForOutcome(runId, "AWAITING_APPROVAL");
  return { runId, requestId: await pendingRequestOf(runId) };
}

async function profileOneDecision(bench: BenchWorker) {
  const requester = await createTestUser("USER");
  const reviewer = await createTestUser("REVIEWER");
  // Warm up the paths first (JIT, Prisma's caches, the policy cache).
  for (let index = 0; index < 5; index++) {
    const { runId, requestId } = await parkedRun(bench, requester.id, `warm-${index}.txt`);
    await approve(bench.tools, requestId, reviewer.id);
    await bench.waitForOutcome(runId, "COMPLETED");
  }
  const { runId, requestId } = await parkedRun(bench, requester.id, "profiled.txt");
  const before = (await db().run.findUniqueOrThrow({ where: { id: runId }, select: { lastEventSeq: true } }))
    .lastEventSeq;
  const seen: [string, number][] = [];
  const subscription = (async () => {
    for await (const event of streamRunEvents({ runId, afterSeq: before })) {
      seen.push([`subscriber has ${eventName(event.data)} (seq ${event.seq})`, performance.now()]);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stop = recordQueries();
  const calledAt = performance.now();
  await countRoundTripsSettled(() => approve(bench.tools, requestId, reviewer.id), "approve");
  const returnedAt = performance.now();
  await subscription;
  await bench.waitForOutcome(runId, "COMPLETED");
  const records = stop();
  const approveQueries = records.filter((query) => query.scope === "approve");
  printTimeline(
    `One approve call on an idle instance and the run's resumption, ms from the call (${approveQueries.length} round trips by the approve call)`,
    records,
    calledAt,
    [["approve call returned", returnedAt], ...seen],
  );
}

async function profileRace(bench: BenchWorker) {
  const requester = await createTestUser("USER");
  const reviewers = await Promise.all(Array.from({ length: 3 }, () => createTestUser("REVIEWER")));
  const { runId, requestId } = await parkedRun(bench, requester.id, "raced.txt");
  await new Promise((resolve) => setTimeout(resolve, 50));
  const stop = recordQueries();
  const startedAt = performance.now();
  const ends: [string, number][] = [];
  await Promise.all(
    reviewers.map(async (reviewer, index) => {
      const { error } = await countRoundTripsSettled(
        () => approve(bench.tools, requestId, reviewer.id),
        `reviewer ${index + 1}`,
      );
      ends.push([
        `reviewer ${index + 1}: ${error === undefined ? "approved" : error instanceof AirlockError ? error.code : String(error)}`,
        performance.now(),
      ]);
    }),
  );
  const records = stop().filter((query) => query.scope !== undefined);
  await bench.waitForOutcome(runId, "COMPLETED");
  printTimeline("Three reviewers approving the same request at once, ms", records, startedAt, ends);
}

async function profileThroughput(bench: BenchWorker) {
  const requesters = await Promise.all(Array.from({ length: 10 }, () => createTestUser("USER")));
  const runIds = await Promise.all(
    Array.from({ length: REQUESTS }, (_, index) =>
      askToDelete((requesters[index % requesters.length] as { id: string }).id, `inbox-${index}.txt`),
    ),
  );
  await Promise.all(runIds.map((runId) => bench.waitForOutcome(runId, "AWAITING_APPROVAL", 300_000)));
  const requestIds = await Promise.all(runIds.map(pendingRequestOf));
  const reviewers = await Promise.all(Array.from({ length: REVIEWERS }, () => createTestUser("REVIEWER")));
  const tickets = requestIds.flatMap((requestId) => Array.from({ length: RACERS }, () => requestId));
  let next = 0;
  let started = 0;
  const attempts: { label: string; code: string; startedAt: number; finishedAt: number }[] = [];
  const stop = recordQueries();
  const cpuBefore = process.cpuUsage();
  const phaseStarted = performance.now();
  await Promise.all(
    reviewers.map(async (reviewer) => {
      for (let ticket = tickets[next++]; ticket !== undefined; ticket = tickets[next++]) {
        const requestId = ticket;
        const label = `attempt ${started++}`;
        const startedAt = performance.now();
        const { error } = await countRoundTripsSettled(() => approve(bench.tools, requestId, reviewer.id), label);
        const code = error === undefined ? "approved" : error instanceof AirlockError ? error.code : String(error);
        attempts.push({ label, code, startedAt, finishedAt: performance.now() });
      }
    }),
  );
  const phaseMs = performance.now() - phaseStarted;
  const cpu = process.cpuUsage(cpuBefore);
  const records = stop();
  await Promise.all(runIds.map((runId) => bench.waitForOutcome(runId, "COMPLETED", 300_000)));

  const byScope = new Map<string, QueryRecord[]>();
  for (const query of records) {
    if (query.scope) byScope.set(query.scope, [...(byScope.get(query.scope) ?? []), query]);
  }
  for (const code of new Set(attempts.map((attempt) => attempt.code))) {
    const group = attempts.filter((attempt) => attempt.code === code);
    // Per attempt: how long before its first statement, in each statement, and in Node between them.
    const rows = new Map<string, { count: number; ms: number[] }>();
    const add = (key: string, ms: number) => {
      const row = rows.get(key) ?? { count: 0, ms: [] };
      row.count++;
      row.ms.push(ms);
      rows.set(key, row);
    };
    for (const attempt of group) {
      const queries = byScope.get(attempt.label) ?? [];
      const firstAt = queries[0]?.startedAt ?? attempt.finishedAt;
      add("(before BEGIN: waiting for one of the pool's 20 connections)", firstAt - attempt.startedAt);
      let inQueries = 0;
      for (const query of queries) {
        inQueries += query.finishedAt - query.startedAt;
        add(query.text, query.finishedAt - query.startedAt);
      }
      add("(in Node between statements)", attempt.finishedAt - firstAt - inQueries);
    }
    const walls = group.map((attempt) => attempt.finishedAt - attempt.startedAt);
    printTable(
      `Where a "${code}" attempt's time goes — ${group.length} attempts (${REQUESTS} requests, ${REVIEWERS} reviewers, ${RACERS} racing on each); wall p50 ${formatMs(median(walls))} ms`,
      ["statement", "per attempt", "ms each p50", "p99", "ms per attempt"],
      [...rows]
        .sort((a, b) => b[1].ms.reduce((x, y) => x + y, 0) - a[1].ms.reduce((x, y) => x + y, 0))
        .map(([text, row]) => [
          text,
          (row.count / group.length).toFixed(1),
          formatMs(median(row.ms)),
          formatMs(percentile(row.ms, 99)),
          formatMs(row.ms.reduce((x, y) => x + y, 0) / group.length),
        ]),
    );
  }
  const others = records.filter((query) => !query.scope).length;
  printTable(
    `The process while ${attempts.length} attempts ran (${formatMs(phaseMs)} ms)`,
    ["", "value"],
    [
      ["Node process CPU (all threads), ms", formatMs((cpu.user + cpu.system) / 1000)],
      ["  as a share of one core", `${Math.round(((cpu.user + cpu.system) / 1000 / phaseMs) * 100)} %`],
      ["  per approved decision, ms", formatMs((cpu.user + cpu.system) / 1000 / REQUESTS)],
      ["statements sent by the reviewers", records.length - others],
      ["statements sent meanwhile by the worker and the rest", others],
    ],
  );
}

await withBenchDatabase(async () => {
  const bench = await startBenchWorker();
  try {
    await profileOneDecision(bench);
    await profileRace(bench);
    await profileThroughput(bench);
  } finally {
    await bench.worker.stop();
  }
});
