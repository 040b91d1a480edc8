/**
 * `npm run bench:load`: many concurrent streaming conversations on the demo model through
 * two production instances (the `npm start` command, Next in-process) on one embedded
 * PostgreSQL, measured from this separate process as browsers would see them: over real
 * HTTP, sign-in cookies, tRPC mutations and chat.events over SSE. Phases: idle memory;
 * N streams at a fixed token cadence (added latency per token, time to first token, RSS
 * per open stream, events written per second, database bytes per run); approve on B →
 * resumed stream on A; a closed loop of short runs (one model call + one READ tool).
 * Stops everything it started. Method and figures: bench/README.md. Last line: one JSON object.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { findFreePort, startEmbeddedPostgres } from "../server/db/embedded-postgres";
import { cpuSecondsOf, processAndChildren } from "../server/testing/process-group";
import { mutate, query, type StreamedRunEvent, signIn, streamRun, wallClock } from "./lib/app-client";
import { type ProductionInstance, startProductionInstance, stopAllInstances } from "./lib/production-instance";
import { formatMs, maximum, median, percentile, printTable, round } from "./lib/stats";

const { values: options } = parseArgs({
  options: {
    streams: { type: "string", default: "1000" },
    tokens: { type: "string", default: "600" },
    "token-ms": { type: "string", default: "50" },
    /** Sends in flight while the streams are opened. */
    "ramp-concurrency": { type: "string", default: "25" },
    "resume-samples": { type: "string", default: "20" },
    "short-seconds": { type: "string", default: "20" },
    "short-concurrency": { type: "string", default: "16" },
    "settle-seconds": { type: "string", default: "10" },
    /** Writes a CPU profile of instance A (node --cpu-prof) into this directory when it stops. */
    "profile-dir": { type: "string" },
  },
});
const STREAMS = Number(options.streams);
const TOKENS = Number(options.tokens);
const TOKEN_MS = Number(options["token-ms"]);
const RAMP_CONCURRENCY = Number(options["ramp-concurrency"]);
const RESUME_SAMPLES = Number(options["resume-samples"]);
const SHORT_SECONDS = Number(options["short-seconds"]);
const SHORT_CONCURRENCY = Number(options["short-concurrency"]);
const SETTLE_SECONDS = Number(options["settle-seconds"]);

const progress = (message: string) => process.stderr.write(`[bench:load] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb: number) => round(kb / 1024, 1);
const loadAverage = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

interface Client {
  instance: ProductionInstance;
  cookie: string;
}

async function newRun(client: Client, text: string): Promise<{ runId: string; sentAt: number }> {
  const conversation = await mutate<{ id: string }>(client.instance.url, client.cookie, "conversation.create", {});
  const sentAt = wallClock();
  const { runId } = await mutate<{ runId: string }>(client.instance.url, client.cookie, "chat.send", {
    conversationId: conversation.id,
    text,
  });
  return { runId, sentAt };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
}

interface StreamResult {
  ttftAddedMs?: number;
  tokens: number;
  gaps: number;
  end: string;
}

/**
 * One streaming conversation: send `clock <TOKENS> tokens every <TOKEN_MS> ms`, follow its
 * events, and record for every token the time from its emission (the stamp the demo model
 * put in it) to its arrival here.
 */
async function streamingConversation(
  client: Client,
  tokenLatencies: number[],
  open: { count: number; opened: number },
  opened: () => void,
): Promise<StreamResult> {
  const { runId, sentAt } = await newRun(client, `clock ${TOKENS} tokens every ${TOKEN_MS} ms`);
  const result: StreamResult = { tokens: 0, gaps: 0, end: "" };
  let lastSeq = 0;
  let first = true;
  open.count++;
  open.opened++;
  opened();
  const end = await streamRun({
    baseUrl: client.instance.url,
    cookie: client.cookie,
    runId,
    onEvent(event: StreamedRunEvent) {
      if (event.seq !== lastSeq + 1) result.gaps++;
      lastSeq = event.seq;
      if (event.data.type !== "text-delta") return;
      for (const stamp of String(event.data.text).trim().split(/\s+/)) {
        tokenLatencies.push(event.receivedAt - Number(stamp));
        result.tokens++;
      }
      if (first) {
        first = false;
        // The model's own time to its first token is one cadence interval.
        result.ttftAddedMs = event.receivedAt - sentAt - TOKEN_MS;
      }
    },
  });
  open.count--;
  result.end = end.how === "completed" ? (end.status ?? "") : `${end.how}: ${end.message ?? ""}`.slice(0, 200);
  return result;
}

/** CPU seconds used so far by each part: the instances, PostgreSQL (postmaster and backends), this generator. */
type CpuSampler = () => Record<string, number>;

async function measureStreams(
  clients: Client[],
  database: pg.Client,
  instances: ProductionInstance[],
  idleKB: number,
  sampleCpu: CpuSampler,
) {
  const tokenLatencies: number[] = [];
  const open = { count: 0, opened: 0 };
  const samples: { open: number; rssKB: number }[] = [];
  const eventsBefore = await countEvents(database);
  const bytesBefore = await databaseBytes(database);
  const cpuBefore = sampleCpu();
  const started = wallClock();
  let allOpen!: () => void;
  const allOpened = new Promise<void>((resolve) => {
    allOpen = resolve;
  });
  const sampler = setInterval(() => {
    samples.push({ open: open.count, rssKB: instances.reduce((sum, instance) => sum + instance.rssKB(), 0) });
  }, 1000);
  const results: StreamResult[] = [];
  const streams: Promise<void>[] = [];
  await pool(
    Array.from({ length: STREAMS }, (_, index) => index),
    RAMP_CONCURRENCY,
    async (index) => {
      const client = clients[index % clients.length] as Client;
      // A failed send or stream is counted (runs ended), not fatal: under overload some fail.
      await new Promise<void>((resolve) => {
        streams.push(
          streamingConversation(client, tokenLatencies, open, resolve)
            .then((result) => {
              results.push(result);
            })
            .catch((error) => {
              results.push({ tokens: 0, gaps: 0, end: `error: ${(error as Error).message}` });
              open.opened++;
              resolve();
            }),
        );
      });
      if (open.opened === STREAMS) allOpen();
    },
  );
  const rampSeconds = (wallClock() - started) / 1000;
  progress(`${STREAMS} streams opened in ${rampSeconds.toFixed(1)} s; ${open.count} open`);
  await allOpened;
  // Memory with every stream open: sample now, before any can finish.
  samples.push({ open: open.count, rssKB: instances.reduce((sum, instance) => sum + instance.rssKB(), 0) });
  await Promise.all(streams);
  clearInterval(sampler);
  const seconds = (wallClock() - started) / 1000;
  const cpuAfter = sampleCpu();
  const cpuSeconds = Object.fromEntries(
    Object.entries(cpuAfter).map(([part, used]) => [part, used - (cpuBefore[part] ?? 0)]),
  );
  const events = (await countEvents(database)) - eventsBefore;
  const bytes = (await databaseBytes(database)) - bytesBefore;
  const peak = samples.reduce((best, sample) =>
    sample.open > best.open || (sample.open === best.open && sample.rssKB > best.rssKB) ? sample : best,
  );
  const ttft = results.flatMap((result) => (result.ttftAddedMs === undefined ? [] : [result.ttftAddedMs]));
  const ends = new Map<string, number>();
  for (const result of results) ends.set(result.end, (ends.get(result.end) ?? 0) + 1);
  return {
    seconds,
    rampSeconds,
    tokenLatencies,
    ttft,
    tokensExpected: STREAMS * TOKENS,
    tokensReceived: results.reduce((sum, result) => sum + result.tokens, 0),
    gaps: results.reduce((sum, result) => sum + result.gaps, 0),
    ends,
    completed: ends.get("COMPLETED") ?? 0,
    events,
    bytes,
    peak,
    rssPerStreamKB: peak.open > 0 ? (peak.rssKB - idleKB) / peak.open : Number.NaN,
    cpuSeconds,
  };
}

async function countEvents(database: pg.Client): Promise<number> {
  const { rows } = await database.query<{ count: string }>(`SELECT count(*)::text AS count FROM "RunEvent"`);
  return Number(rows[0]?.count ?? 0);
}

/** Runs of the whole bench that ended FAILED, and why (a busy pool must never be a reason). */
async function failedRuns(database: pg.Client): Promise<{ count: number; errors: string[] }> {
  const { rows } = await database.query<{ error: string | null; count: string }>(
    `SELECT error, count(*)::text AS count FROM "Run" WHERE status = 'FAILED' GROUP BY error ORDER BY count(*) DESC`,
  );
  return {
    count: rows.reduce((sum, row) => sum + Number(row.count), 0),
    errors: rows.map((row) => `${row.count} × ${row.error ?? "(no error)"}`),
  };
}

async function databaseBytes(database: pg.Client): Promise<number> {
  await database.query("CHECKPOINT");
  const { rows } = await database.query<{ bytes: string }>(
    "SELECT pg_database_size(current_database())::text AS bytes",
  );
  return Number(rows[0]?.bytes ?? 0);
}

/** A run that waits for approval on A, approved by a reviewer on B: approve → the first resumed event read on A. */
async function measureCrossInstanceResume(user: Client, reviewer: Client, workspace: string) {
  const fromReturn: number[] = [];
  const fromSend: number[] = [];
  for (let sample = 0; sample < RESUME_SAMPLES + 2; sample++) {
    const file = `resume-${sample}.txt`;
    writeFileSync(path.join(workspace, file), "delete me\n");
    const { runId } = await newRun(user, `delete the file ${file}`);
    let waitingSeq = 0;
    let resumedAt = 0;
    let onWaiting!: () => void;
    const waiting = new Promise<void>((resolve) => {
      onWaiting = resolve;
    });
    const streamed = streamRun({
      baseUrl: user.instance.url,
      cookie: user.cookie,
      runId,
      onEvent(event) {
        if (waitingSeq === 0 && event.data.type === "run-status" && event.data.status === "AWAITING_APPROVAL") {
          waitingSeq = event.seq;
          onWaiting();
        } else if (waitingSeq > 0 && resumedAt === 0) {
          resumedAt = event.receivedAt;
        }
      },
    });
    await waiting;
    const pending = await query<{ id: string; toolName: string }[]>(
      reviewer.instance.url,
      reviewer.cookie,
      "approvals.list",
      { statuses: ["PENDING"], limit: 10 },
    );
    const request = pending.find((row) => row.toolName === "delete_file");
    if (!request) throw new Error("the approval request did not reach the inbox on B");
    const sentAt = wallClock();
    await mutate(reviewer.instance.url, reviewer.cookie, "approvals.decide", {
      requestId: request.id,
      verdict: "approve",
    });
    const returnedAt = wallClock();
    const end = await streamed;
    if (end.status !== "COMPLETED") throw new Error(`approved run ended ${end.how} ${end.status ?? end.message}`);
    // The first two are warm-up (JIT, caches, connections).
    if (sample < 2) continue;
    fromReturn.push(resumedAt - returnedAt);
    fromSend.push(resumedAt - sentAt);
  }
  return { fromReturn, fromSend };
}

/** Closed loop: SHORT_CONCURRENCY users each send "list the files" again as soon as their last run completed. */
async function measureShortRuns(clients: Client[], database: pg.Client) {
  const latencies: number[] = [];
  const bytesBefore = await databaseBytes(database);
  let failed = 0;
  const started = wallClock();
  const until = started + SHORT_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: SHORT_CONCURRENCY }, async (_, lane) => {
      const client = clients[lane % clients.length] as Client;
      while (wallClock() < until) {
        try {
          const { runId, sentAt } = await newRun(client, "list the files in the workspace");
          const end = await streamRun({ baseUrl: client.instance.url, cookie: client.cookie, runId, onEvent() {} });
          if (end.status === "COMPLETED") latencies.push(wallClock() - sentAt);
          else failed++;
        } catch {
          failed++;
        }
      }
    }),
  );
  const seconds = (wallClock() - started) / 1000;
  const bytes = (await databaseBytes(database)) - bytesBefore;
  return { latencies, failed, seconds, runsPerSecond: latencies.length / seconds, bytes };
}

async function main() {
  const temporary = await mkdtemp(path.join(os.tmpdir(), "airlock-bench-load-"));
  await chmod(temporary, 0o755);
  const workspace = path.join(temporary, "workspace");
  mkdirSync(workspace);
  for (const name of ["README.md", "notes.txt", "data.csv"]) writeFileSync(path.join(workspace, name), `${name}\n`);
  const instances: ProductionInstance[] = [];
  let postgres: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let database: pg.Client | undefined;
  const cleanUp = async () => {
    await stopAllInstances();
    await database?.end().catch(() => {});
    await postgres?.stop().catch(() => {});
    await rm(temporary, { recursive: true, force: true });
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    const loadBefore = loadAverage();
    progress(`load average ${loadBefore}; starting PostgreSQL`);
    postgres = await startEmbeddedPostgres({
      dataDir: path.join(temporary, "postgres"),
      port: await findFreePort(),
      persistent: false,
    });
    await postgres.createDatabase("airlock");
    const databaseUrl = postgres.urlFor("airlock");
    const shared = {
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: randomBytes(48).toString("base64url"),
      SECRETS_KEY: randomBytes(32).toString("base64"),
      WORKSPACE_ROOT: workspace,
      BIND_ADDRESS: "127.0.0.1",
      LOG_LEVEL: "warn",
      DEMO_MODEL_CLOCK: "on",
      // The streaming conversations ask for their own cadence; the short runs' model answers at once.
      DEMO_MODEL_TOKEN_DELAY_MS: "0",
      // Each instance may execute every run at once, so a stream never waits for a free slot.
      WORKER_CONCURRENCY: String(STREAMS + SHORT_CONCURRENCY),
    };
    // One after the other: the first start may build the app, and applies the migrations.
    for (const name of ["A", "B"]) {
      progress(`starting instance ${name} (the npm start command; the first start may build the app)`);
      instances.push(
        await startProductionInstance({
          name,
          port: await findFreePort(),
          env: { ...shared, AIRLOCK_DATA_DIR: path.join(temporary, `data-${name}`) },
          ...(name === "A" && options["profile-dir"]
            ? { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${path.resolve(options["profile-dir"])}`] }
            : {}),
        }),
      );
    }
    const [a, b] = instances as [ProductionInstance, ProductionInstance];
    database = new pg.Client({ connectionString: databaseUrl });
    await database.connect();
    const userCookie = await signIn(a.url, "user@airlock.local", "airlock-user");
    const reviewerCookie = await signIn(b.url, "reviewer@airlock.local", "airlock-reviewer");
    const users: Client[] = instances.map((instance) => ({ instance, cookie: userCookie }));

    progress("warming up: short runs and short streams on both instances");
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        users.map(async (client) => {
          const short = await newRun(client, "list the files in the workspace");
          await streamRun({ baseUrl: client.instance.url, cookie: client.cookie, runId: short.runId, onEvent() {} });
          const stream = await newRun(client, "clock 20 tokens every 5 ms");
          await streamRun({ baseUrl: client.instance.url, cookie: client.cookie, runId: stream.runId, onEvent() {} });
        }),
      );
    }
    progress(`settling for ${SETTLE_SECONDS} s`);
    await sleep(SETTLE_SECONDS * 1000);
    const idle = instances.map((instance) => instance.rssKB());
    const idleKB = idle.reduce((sum, kb) => sum + kb, 0);

    const generatorDelay = monitorEventLoopDelay({ resolution: 10 });
    generatorDelay.enable();
    progress(`${STREAMS} streams of ${TOKENS} tokens every ${TOKEN_MS} ms (load average ${loadAverage()})`);
    const postmaster = postgres.pid();
    const sampleCpu: CpuSampler = () => {
      const own = process.cpuUsage();
      return {
        ...Object.fromEntries(
          instances.map((instance) => [`instance ${instance.name}`, cpuSecondsOf(instance.processes())]),
        ),
        PostgreSQL: postmaster ? cpuSecondsOf(processAndChildren(postmaster)) : Number.NaN,
        "load generator": (own.user + own.system) / 1e6,
      };
    };
    const streams = await measureStreams(users, database, instances, idleKB, sampleCpu);
    generatorDelay.disable();
    const loadDuring = loadAverage();
    progress(`streams done in ${streams.seconds.toFixed(1)} s (load average ${loadDuring})`);

    progress(`approve on B → resumed stream on A, ${RESUME_SAMPLES} samples`);
    const resume = await measureCrossInstanceResume(
      users[0] as Client,
      { instance: b, cookie: reviewerCookie },
      workspace,
    );

    progress(`short runs: ${SHORT_CONCURRENCY} users in a closed loop for ${SHORT_SECONDS} s`);
    const short = await measureShortRuns(users, database);
    const loadAfter = loadAverage();

    printTable(
      `Idle, after warm-up (${SETTLE_SECONDS} s at rest)`,
      ["instance", "RSS MB", "processes"],
      instances.map((instance, index) => [instance.name, mb(idle[index] ?? 0), instance.processes().length]),
    );
    const endings = [...streams.ends].map(([end, count]) => `${count} ${end}`).join(", ");
    printTable(
      `${STREAMS} concurrent streams, ${TOKENS} tokens every ${TOKEN_MS} ms, through 2 instances`,
      ["figure", "value", "target"],
      [
        ["token added latency p50 (ms)", formatMs(median(streams.tokenLatencies)), ""],
        ["token added latency p99 (ms)", formatMs(percentile(streams.tokenLatencies, 99)), "≤ 25"],
        ["token added latency max (ms)", formatMs(maximum(streams.tokenLatencies)), ""],
        ["time to first token added p50 (ms)", formatMs(median(streams.ttft)), ""],
        ["time to first token added p99 (ms)", formatMs(percentile(streams.ttft, 99)), ""],
        ["streams open at the memory sample", streams.peak.open, String(STREAMS)],
        ["RSS of both instances, idle → all open (MB)", `${mb(idleKB)} → ${mb(streams.peak.rssKB)}`, ""],
        ["RSS per open stream (KB)", round(streams.rssPerStreamKB, 1), "≤ 64"],
        ["tokens received / expected", `${streams.tokensReceived} / ${streams.tokensExpected}`, "all"],
        ["sequence gaps", streams.gaps, "0"],
        ["runs ended", endings, `${STREAMS} COMPLETED`],
        ["run events written per second", Math.round(streams.events / streams.seconds), ""],
        ["database bytes per 1000 runs", Math.round((streams.bytes / STREAMS) * 1000), ""],
        [
          "streams opened in (s) / all done in (s)",
          `${streams.rampSeconds.toFixed(1)} / ${streams.seconds.toFixed(1)}`,
          "",
        ],
        ["load generator's event-loop delay p99 (ms)", formatMs(generatorDelay.percentile(99) / 1e6), ""],
      ],
    );
    // Where the machine's CPU went while streaming: what bounds tokens per second.
    const tokensPerSecond = streams.tokensReceived / streams.seconds;
    printTable(
      `CPU during the streaming phase (${streams.seconds.toFixed(1)} s, ${Math.round(tokensPerSecond)} tokens/s delivered, ${os.cpus().length} cores)`,
      ["process", "CPU s", "cores busy", "µs per token"],
      Object.entries(streams.cpuSeconds).map(([part, seconds]) => [
        part,
        round(seconds, 1),
        round(seconds / streams.seconds, 2),
        Math.round((seconds / streams.tokensReceived) * 1e6),
      ]),
    );
    printTable(
      "Approve on B → first resumed event on A",
      ["from", "p50 ms", "p99 ms", "samples"],
      [
        [
          "the approve call's return",
          formatMs(median(resume.fromReturn)),
          formatMs(percentile(resume.fromReturn, 99)),
          resume.fromReturn.length,
        ],
        [
          "the approve call's start",
          formatMs(median(resume.fromSend)),
          formatMs(percentile(resume.fromSend, 99)),
          resume.fromSend.length,
        ],
      ],
    );
    printTable(
      `Short runs ("list the files": model call, list_files, model call), ${SHORT_CONCURRENCY} users, closed loop`,
      ["figure", "value"],
      [
        ["runs completed (failed)", `${short.latencies.length} (${short.failed})`],
        ["runs per second", round(short.runsPerSecond, 1)],
        ["send → completed p50 (ms)", formatMs(median(short.latencies))],
        ["send → completed p99 (ms)", formatMs(percentile(short.latencies, 99))],
        ["database bytes per 1000 runs", Math.round((short.bytes / Math.max(1, short.latencies.length)) * 1000)],
      ],
    );
    const failed = await failedRuns(database);
    if (failed.count > 0) console.log(`\nruns FAILED: ${failed.errors.join("; ")}`);
    console.log(
      `\nload average (1/5/15 min): before ${loadBefore}; after the streams ${loadDuring}; at the end ${loadAfter}`,
    );

    const report = {
      tokenAddedP50Ms: round(median(streams.tokenLatencies)),
      tokenAddedP99Ms: round(percentile(streams.tokenLatencies, 99)),
      rssPerStreamKB: round(streams.rssPerStreamKB, 1),
      crossInstanceResumeP50Ms: round(median(resume.fromSend)),
      shortRunsPerSecond: round(short.runsPerSecond, 1),
      dbBytesPer1000Runs: Math.round((streams.bytes / STREAMS) * 1000),
      idleRssMB: mb(idleKB / instances.length),
      ttftAddedP50Ms: round(median(streams.ttft)),
      ttftAddedP99Ms: round(percentile(streams.ttft, 99)),
      eventsPerSecond: Math.round(streams.events / streams.seconds),
      shortRunP99Ms: round(percentile(short.latencies, 99)),
      dbBytesPer1000ShortRuns: Math.round((short.bytes / Math.max(1, short.latencies.length)) * 1000),
      streams: STREAMS,
      streamsCompleted: streams.completed,
      tokensPerSecond: Math.round(streams.tokensReceived / streams.seconds),
      tokensLost: streams.tokensExpected - streams.tokensReceived,
      runsFailed: failed.count,
      loadAverage: loadDuring,
    };
    await cleanUp();
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (error) {
    for (const instance of instances) progress(`instance ${instance.name} output:\n${instance.output().slice(-3000)}`);
    await cleanUp();
    throw error;
  }
}

main().catch((error) => {
  progress(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
