/**
 * `npm run bench:approvals`: what a reviewer's decision costs and how fast the run it
 * unblocks moves again, through the production code on the embedded PostgreSQL, with the
 * worker, the reviewer and the requester's subscription in one process (one instance).
 *
 *   1. Approve → resume: a run of the demo model asks for a DESTRUCTIVE tool call and
 *      waits (ApprovalRequest PENDING, run AWAITING_APPROVAL) while its requester is
 *      subscribed to its events (streamRunEvents, the generator behind the tRPC
 *      subscription). A reviewer calls decideApproval; the clock runs from that call
 *      returning to the subscriber receiving the first event the decision caused, and on
 *      to the worker's events (run RUNNING, the call RUNNING, SUCCEEDED, run COMPLETED).
 *   2. Decision throughput: N runs waiting at once, R concurrent reviewers (distinct
 *      REVIEWER users) taking requests from a shared inbox, K of them racing on each
 *      request as people do; successful decisions per second, refusals counted apart.
 *   3. Correctness of both: every request decided once and consumed once, every approved
 *      call executed exactly once, every run completed, the audit chain intact.
 *
 * It prints tables and, as its last line, one JSON object. It never asserts timings; it
 * does refuse to print figures (exit 1) if an invariant of part 3 was broken.
 * Options: --samples N (approve → resume samples, default 60), --warm-up N (default 5),
 * --requests N (pending requests for the throughput run, default 200), --reviewers N
 * (default 50), --racers K (reviewers racing on each request, default 3).
 */
import { parseArgs } from "node:util";
import { streamRunEvents } from "../server/agent/run-stream";
import { verifyAuditChain } from "../server/audit/record-audit-event";
import { db } from "../server/db/client";
import { env } from "../server/env";
import { AirlockError } from "../server/errors";
import type { RunEventData } from "../server/shared/run-events";
import { createTestUser } from "../server/testing/fixtures";
import {
  approve,
  askToDelete,
  type BenchWorker,
  executedAt,
  executions,
  pendingRequestOf,
  startBenchWorker,
} from "./lib/approvals";
import { withBenchDatabase } from "./lib/database";
import { countRoundTrips, countRoundTripsSettled } from "./lib/round-trips";
import { formatMs, maximum, median, percentile, printTable, round } from "./lib/stats";

const { values: args } = parseArgs({
  options: {
    samples: { type: "string", default: "60" },
    "warm-up": { type: "string", default: "5" },
    requests: { type: "string", default: "200" },
    reviewers: { type: "string", default: "50" },
    racers: { type: "string", default: "3" },
  },
});
const SAMPLES = Number(args.samples);
const WARM_UP = Number(args["warm-up"]);
const REQUESTS = Number(args.requests);
const REVIEWERS = Number(args.reviewers);
const RACERS = Number(args.racers);
/** Users whose runs fill the inbox for the throughput run (a conversation holds one active run). */
const REQUESTERS = 10;
/** Quiet time between a run parking and its approval: nothing of the run is in flight when the clock starts. */
const SETTLE_MS = 20;

// The worker logs its start and stop at info; keep the tables readable unless asked otherwise.
process.env.LOG_LEVEL ??= "warn";

function describeEvent(data: RunEventData): string {
  if (data.type === "run-status") return `run-status ${data.status}`;
  if (data.type === "tool-call-updated") return `tool-call-updated ${data.status}`;
  return data.type;
}

interface Received {
  seq: number;
  data: RunEventData;
  at: number;
}

interface ResumeSample {
  /** decideApproval from call to return. */
  approveCallMs: number;
  /** Round trips the approve call made (its transaction, BEGIN and COMMIT included). */
  approveQueries: number;
  /** From the approve call returning to each milestone reaching the subscriber (negative: before it returned). */
  firstEventMs: number;
  firstEvent: string;
  workerRunningMs: number;
  toolRunningMs: number;
  toolSucceededMs: number;
  completedMs: number;
}

/** One run: park it, approve it with the requester subscribed, time what the subscriber sees. */
async function resumeSample(
  bench: BenchWorker,
  requesterId: string,
  reviewerId: string,
  path: string,
): Promise<ResumeSample> {
  const runId = await askToDelete(requesterId, path);
  // The requester's subscription, opened as the browser does when the message is sent; it
  // stays open through the wait and the approval, and ends with the run's terminal status.
  const received: Received[] = [];
  let parked!: () => void;
  const parkedSeen = new Promise<void>((resolve) => {
    parked = resolve;
  });
  const subscription = (async () => {
    for await (const event of streamRunEvents({ runId, afterSeq: 0 })) {
      received.push({ seq: event.seq, data: event.data, at: performance.now() });
      if (event.data.type === "run-status" && event.data.status === "AWAITING_APPROVAL") parked();
    }
  })();
  await Promise.all([parkedSeen, bench.waitForOutcome(runId, "AWAITING_APPROVAL")]);
  const requestId = await pendingRequestOf(runId);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  // The last event before the decision: everything after it is the decision's doing.
  const before = (await db().run.findUniqueOrThrow({ where: { id: runId }, select: { lastEventSeq: true } }))
    .lastEventSeq;
  const seenBefore = received.at(-1)?.seq;
  if (seenBefore !== before) throw new Error(`run ${runId}: subscriber at seq ${seenBefore}, run at ${before}`);

  const calledAt = performance.now();
  const { queries } = await countRoundTrips(() => approve(bench.tools, requestId, reviewerId));
  const returnedAt = performance.now();
  // The worker's outcome first: it times out, and once the run is done its stream ends at once.
  await bench.waitForOutcome(runId, "COMPLETED");
  await subscription;

  const after = received.filter((event) => event.seq > before);
  const first = after[0];
  const at = (label: string, match: (data: RunEventData) => boolean) => {
    const event = after.find((candidate) => match(candidate.data));
    if (!event) throw new Error(`run ${runId}: the subscriber never saw ${label}`);
    return event.at - returnedAt;
  };
  if (!first) throw new Error(`run ${runId}: no event after the decision`);
  return {
    approveCallMs: returnedAt - calledAt,
    approveQueries: queries,
    firstEventMs: first.at - returnedAt,
    firstEvent: describeEvent(first.data),
    // The QUEUED status comes from the decision's own transaction; RUNNING is the worker's first write.
    workerRunningMs: at("run-status RUNNING", (data) => data.type === "run-status" && data.status === "RUNNING"),
    toolRunningMs: at("the call RUNNING", (data) => data.type === "tool-call-updated" && data.status === "RUNNING"),
    toolSucceededMs: at(
      "the call SUCCEEDED",
      (data) => data.type === "tool-call-updated" && data.status === "SUCCEEDED",
    ),
    completedMs: at("run COMPLETED", (data) => data.type === "run-status" && data.status === "COMPLETED"),
  };
}

async function measureApproveToResume(bench: BenchWorker) {
  const requester = await createTestUser("USER");
  const reviewer = await createTestUser("REVIEWER");
  const samples: ResumeSample[] = [];
  for (let index = 0; index < WARM_UP + SAMPLES; index++) {
    const sample = await resumeSample(bench, requester.id, reviewer.id, `resume-${index}.txt`);
    if (index >= WARM_UP) samples.push(sample);
    if ((index + 1) % 20 === 0) process.stderr.write(`  approve → resume: ${index + 1}/${WARM_UP + SAMPLES}\n`);
  }
  const row = (label: string, pick: (sample: ResumeSample) => number) => {
    const values = samples.map(pick);
    return [label, formatMs(median(values)), formatMs(percentile(values, 99)), formatMs(maximum(values))];
  };
  printTable(
    `Approve → resume, same instance — ${SAMPLES} runs (after ${WARM_UP} unmeasured), ms after the approve call returned`,
    ["reaches the requester's subscription", "p50", "p99", "max"],
    [
      row("first event after the decision  (headline)", (sample) => sample.firstEventMs),
      row("run-status RUNNING  (the worker resumed the run)", (sample) => sample.workerRunningMs),
      row("tool-call-updated RUNNING  (approval consumed, call starts)", (sample) => sample.toolRunningMs),
      row("tool-call-updated SUCCEEDED", (sample) => sample.toolSucceededMs),
      row("run-status COMPLETED  (model answered, run done)", (sample) => sample.completedMs),
      row("for reference: the approve call itself (called → returned)", (sample) => sample.approveCallMs),
    ],
  );
  const firstKinds = new Map<string, number>();
  for (const sample of samples) firstKinds.set(sample.firstEvent, (firstKinds.get(sample.firstEvent) ?? 0) + 1);
  const early = samples.filter((sample) => sample.firstEventMs < 0).length;
  const queries = samples.map((sample) => sample.approveQueries);
  console.log(
    `first event after the decision: ${[...firstKinds].map(([kind, count]) => `${kind} (${count}/${samples.length})`).join(", ")}; ` +
      `reached the subscriber before the approve call returned: ${early}/${samples.length}; ` +
      `round trips per approve call: ${Math.min(...queries)}–${Math.max(...queries)}`,
  );
  const firstEvents = samples.map((sample) => sample.firstEventMs);
  return { p50: median(firstEvents), p99: percentile(firstEvents, 99), runs: WARM_UP + SAMPLES };
}

interface Attempt {
  requestId: string;
  reviewerId: string;
  code: string;
  startedAt: number;
  returnedAt: number;
  queries: number;
}

async function measureThroughput(bench: BenchWorker) {
  // The inbox: N runs, each waiting for a reviewer, from a few requesters.
  const requesters = await Promise.all(Array.from({ length: REQUESTERS }, () => createTestUser("USER")));
  const paths = Array.from({ length: REQUESTS }, (_, index) => `inbox-${index}.txt`);
  const fillStarted = performance.now();
  const runIds = await Promise.all(
    paths.map((path, index) => askToDelete((requesters[index % REQUESTERS] as { id: string }).id, path)),
  );
  await Promise.all(runIds.map((runId) => bench.waitForOutcome(runId, "AWAITING_APPROVAL", 300_000)));
  const fillMs = performance.now() - fillStarted;
  const requestIds = await Promise.all(runIds.map(pendingRequestOf));
  const pathOf = new Map(requestIds.map((requestId, index) => [requestId, paths[index] as string]));
  process.stderr.write(`  inbox filled: ${REQUESTS} runs waiting for approval in ${formatMs(fillMs)} ms\n`);
  const reviewers = await Promise.all(Array.from({ length: REVIEWERS }, () => createTestUser("REVIEWER")));
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

  // A shared inbox handed out in order, each request K times in a row: the K reviewers who
  // take it open it at about the same moment and race to approve, as people do when a
  // request shows up on several screens. Each reviewer takes the next request as soon as
  // it is done with one, win or lose.
  const tickets = requestIds.flatMap((requestId) => Array.from({ length: RACERS }, () => requestId));
  let next = 0;
  const attempts: Attempt[] = [];
  const cpuBefore = process.cpuUsage();
  const decideStarted = performance.now();
  await Promise.all(
    reviewers.map(async (reviewer) => {
      for (let ticket = tickets[next++]; ticket !== undefined; ticket = tickets[next++]) {
        const requestId = ticket;
        const startedAt = performance.now();
        const { error, queries } = await countRoundTripsSettled(() => approve(bench.tools, requestId, reviewer.id));
        const returnedAt = performance.now();
        const code = error === undefined ? "OK" : error instanceof AirlockError ? error.code : String(error);
        attempts.push({ requestId, reviewerId: reviewer.id, code, startedAt, returnedAt, queries });
      }
    }),
  );
  const decideMs = performance.now() - decideStarted;
  const cpu = process.cpuUsage(cpuBefore);
  // The approved runs were resuming all along (the worker shares the process and the database).
  await Promise.all(runIds.map((runId) => bench.waitForOutcome(runId, "COMPLETED", 300_000)));
  const drainMs = performance.now() - decideStarted;

  const byCode = new Map<string, Attempt[]>();
  for (const attempt of attempts) byCode.set(attempt.code, [...(byCode.get(attempt.code) ?? []), attempt]);
  const successes = byCode.get("OK") ?? [];
  const seconds = decideMs / 1000;
  printTable(
    `Decision throughput — ${REQUESTS} pending requests, ${REVIEWERS} concurrent reviewers, ${RACERS} racing on each request`,
    ["attempts by outcome", "count", "per second", "call p50 ms", "p99 ms", "round trips (median)"],
    [...byCode].map(([code, group]) => {
      const ms = group.map((attempt) => attempt.returnedAt - attempt.startedAt);
      return [
        code === "OK" ? "approved (the decision)" : `refused: ${code}`,
        group.length,
        (group.length / seconds).toFixed(1),
        formatMs(median(ms)),
        formatMs(percentile(ms, 99)),
        median(group.map((attempt) => attempt.queries)),
      ];
    }),
  );
  // Under this load the approved runs queue for the worker: how long until the approved action really ran.
  const lags = successes.map(
    (attempt) => (executedAt.get(pathOf.get(attempt.requestId) as string) ?? Number.NaN) - attempt.returnedAt,
  );
  const cpuMs = (cpu.user + cpu.system) / 1000;
  printTable(
    "Meanwhile",
    ["", "value"],
    [
      [`wall time of the ${attempts.length} attempts, ms`, formatMs(decideMs)],
      ["decisions per second (approved)", (successes.length / seconds).toFixed(1)],
      ["attempts per second (approved + refused)", (attempts.length / seconds).toFixed(1)],
      ["Node process CPU over that time (all threads), share of one core", `${Math.round((cpuMs / decideMs) * 100)} %`],
      [
        "  per approved decision (its racers and the worker's resumptions included), ms",
        formatMs(cpuMs / successes.length),
      ],
      [
        "decision returned → the worker ran the approved call, p50 / p99 / max, ms",
        `${formatMs(median(lags))} / ${formatMs(percentile(lags, 99))} / ${formatMs(maximum(lags))}`,
      ],
      [
        `all ${REQUESTS} resumed runs COMPLETED, ms after the first decision (worker concurrency ${env().WORKER_CONCURRENCY})`,
        formatMs(drainMs),
      ],
      [`for reference: filling the inbox (${REQUESTS} runs to AWAITING_APPROVAL), ms`, formatMs(fillMs)],
    ],
  );
  return { decisionsPerSecond: successes.length / seconds, runIds, requestIds, attempts, successes };
}

interface Check {
  what: string;
  expected: string | number;
  got: string | number;
}

/** What must hold afterwards, read from the database and the tool's own record. */
async function verify(
  bench: BenchWorker,
  throughput: Awaited<ReturnType<typeof measureThroughput>>,
  resumeRuns: number,
): Promise<Check[]> {
  const { requestIds, runIds, attempts, successes } = throughput;
  const ids = new Set(requestIds);
  const requests = await db().approvalRequest.findMany({
    where: { id: { in: requestIds } },
    select: { id: true, status: true, consumedAt: true, _count: { select: { decisions: true } } },
  });
  const runs = await db().run.findMany({ where: { id: { in: runIds } }, select: { status: true } });
  const audit = async (action: string) =>
    db().auditEvent.count({ where: { action, targetType: "approval", targetId: { in: requestIds } } });
  const successPerRequest = new Map<string, number>();
  for (const attempt of successes)
    successPerRequest.set(attempt.requestId, (successPerRequest.get(attempt.requestId) ?? 0) + 1);
  const refusals = attempts.length - successes.length;
  const inboxPaths = Array.from({ length: REQUESTS }, (_, index) => `inbox-${index}.txt`);
  const resumePaths = Array.from({ length: resumeRuns }, (_, index) => `resume-${index}.txt`);
  const unexpected = attempts.filter(
    (attempt) => !["OK", "approval:already-decided", "approval:already-voted"].includes(attempt.code),
  );
  const chain = await verifyAuditChain();
  const expectedAttempts = REQUESTS * RACERS;
  return [
    { what: "attempts made (requests × racers)", expected: expectedAttempts, got: attempts.length },
    {
      what: "requests with exactly one successful approve call",
      expected: REQUESTS,
      got: [...ids].filter((id) => successPerRequest.get(id) === 1).length,
    },
    { what: "refused attempts (the other racers)", expected: expectedAttempts - REQUESTS, got: refusals },
    { what: "refusals other than already-decided/already-voted", expected: 0, got: unexpected.length },
    {
      what: "requests with exactly one ApprovalDecision row",
      expected: REQUESTS,
      got: requests.filter((request) => request._count.decisions === 1).length,
    },
    {
      what: "requests CONSUMED once (status, consumedAt)",
      expected: REQUESTS,
      got: requests.filter((request) => request.status === "CONSUMED" && request.consumedAt).length,
    },
    {
      what: "approved calls executed exactly once (throughput runs)",
      expected: REQUESTS,
      got: inboxPaths.filter((path) => executions.get(path) === 1).length,
    },
    {
      what: "approved calls executed exactly once (approve → resume runs)",
      expected: resumeRuns,
      got: resumePaths.filter((path) => executions.get(path) === 1).length,
    },
    {
      what: "runs COMPLETED (throughput runs)",
      expected: REQUESTS,
      got: runs.filter((run) => run.status === "COMPLETED").length,
    },
    {
      what: "worker outcomes per run: AWAITING_APPROVAL then COMPLETED",
      expected: REQUESTS,
      got: runIds.filter((runId) => bench.outcomes.get(runId)?.join() === "AWAITING_APPROVAL,COMPLETED").length,
    },
    { what: "audit: approval.approved", expected: REQUESTS, got: await audit("approval.approved") },
    { what: "audit: approval.decision-refused", expected: refusals, got: await audit("approval.decision-refused") },
    { what: "audit: approval.consumed", expected: REQUESTS, got: await audit("approval.consumed") },
    {
      what: "audit hash chain verifies",
      expected: "ok",
      got: chain.ok ? "ok" : `broken at ${chain.brokenAt}: ${chain.reason}`,
    },
  ];
}

const results = await withBenchDatabase(async () => {
  const bench = await startBenchWorker();
  try {
    const resume = await measureApproveToResume(bench);
    const throughput = await measureThroughput(bench);
    const checks = await verify(bench, throughput, resume.runs);
    printTable(
      "Correctness (exactly once, under the same load)",
      ["check", "expected", "got", ""],
      checks.map((check) => [check.what, check.expected, check.got, check.got === check.expected ? "ok" : "FAILED"]),
    );
    const failed = checks.filter((check) => check.got !== check.expected);
    if (failed.length > 0) {
      throw new Error(`invariants broken: ${failed.map((check) => check.what).join("; ")} — no figures reported`);
    }
    return {
      approveToResumeP50Ms: round(resume.p50),
      approveToResumeP99Ms: round(resume.p99),
      decisionsPerSecond: round(throughput.decisionsPerSecond, 1),
    };
  } finally {
    await bench.worker.stop();
  }
});
// The last line: one JSON object for tools to read.
console.log(JSON.stringify(results));
