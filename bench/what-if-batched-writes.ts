/**
 * `npm exec tsx bench/what-if-batched-writes.ts`: evidence for the engine's profiling
 * report, not a benchmark of the engine. It measures, on the same embedded Postgres:
 *
 *   1. what one round trip costs here through node-postgres and through Prisma
 *      (raw statement, model query, interactive transaction);
 *   2. a step loop that keeps the engine's model path (runModelStep → AI SDK streamText)
 *      and persists the same rows the engine does (Step, assistant Message, ToolCall,
 *      tool Message, RunEvents, the Run's lease check and counters) in TWO statements
 *      per step: one before the tools run (step and calls, RUNNING) and one after (results).
 *
 * The SQL here is a sketch of a possible persistence layer, written against the current
 * schema; it is not the engine's.
 */
import { randomUUID } from "node:crypto";
import type { ModelMessage } from "ai";
import pg from "pg";
import { createConversation, sendMessage } from "../server/agent/conversations";
import { runModelStep } from "../server/agent/model-step";
import { db } from "../server/db/client";
import { claimNextRun } from "../server/db/runs";
import { logger } from "../server/telemetry/logger";
import { createTestUser } from "../server/testing/fixtures";
import { createScriptedLanguageModel, noopTool } from "./lib/airlock";
import { withBenchDatabase } from "./lib/database";
import { ModelCallClock } from "./lib/script";
import { formatMs, median, percentile, printTable, stepWindow } from "./lib/stats";

process.env.LOG_LEVEL ??= "warn";
const STEPS = 200;
const RUNS = 3;

async function timeIt(iterations: number, work: () => Promise<unknown>): Promise<{ p50: number; cpu: number }> {
  for (let index = 0; index < 50; index++) await work();
  const samples: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let index = 0; index < iterations; index++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { p50: median(samples), cpu: (cpu.user + cpu.system) / 1000 / iterations };
}

async function roundTrips(pool: pg.Pool): Promise<void> {
  await pool.query("CREATE TABLE what_if_rows (id bigserial PRIMARY KEY, data jsonb)");
  const prisma = db();
  const rows: [string, Awaited<ReturnType<typeof timeIt>>][] = [
    ["pg: SELECT 1", await timeIt(500, () => pool.query("SELECT 1"))],
    [
      "pg: INSERT, autocommit (one WAL flush)",
      await timeIt(500, () => pool.query("INSERT INTO what_if_rows (data) VALUES ('{}')")),
    ],
    [
      "pg: BEGIN; UPDATE; INSERT; COMMIT (4 round trips)",
      await timeIt(300, async () => {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          await client.query("UPDATE what_if_rows SET data = data WHERE id = 1");
          await client.query("INSERT INTO what_if_rows (data) VALUES ('{}')");
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      }),
    ],
    ["Prisma: $executeRawUnsafe SELECT 1", await timeIt(500, () => prisma.$executeRawUnsafe("SELECT 1"))],
    [
      "Prisma: run.findUnique (model query)",
      await timeIt(500, () => prisma.run.findUnique({ where: { id: "none" }, select: { id: true } })),
    ],
    [
      "Prisma: $transaction with UPDATE + INSERT",
      await timeIt(300, () =>
        prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe("UPDATE what_if_rows SET data = data WHERE id = 1");
          await tx.$executeRawUnsafe("INSERT INTO what_if_rows (data) VALUES ('{}')");
        }),
      ),
    ],
  ];
  printTable(
    "Round trips on this machine, ms (p50 wall; Node CPU per call, all threads)",
    ["operation", "p50", "Node CPU"],
    rows.map(([label, result]) => [label, formatMs(result.p50), formatMs(result.cpu)]),
  );
}

/** Before the tools run: lease check + counters, Step, assistant Message, ToolCalls (RUNNING), events. */
const BEFORE_TOOLS = `
WITH lease AS (
  UPDATE "Run" SET "stepCount" = $3, "lastEventSeq" = "lastEventSeq" + jsonb_array_length($8::jsonb), "updatedAt" = now()
  WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'
  RETURNING "lastEventSeq"
), step AS (
  INSERT INTO "Step" (id, "runId", index, "modelId", "finishReason", "latencyMs")
  SELECT $4, $1, $3 - 1, 'scripted', 'tool-calls', 0 FROM lease RETURNING id
), message AS (
  INSERT INTO "Message" ("conversationId", "runId", "stepIndex", role, parts)
  SELECT $5, $1, $3 - 1, 'ASSISTANT', $6::jsonb FROM lease
), calls AS (
  INSERT INTO "ToolCall" (id, "runId", "stepId", "modelCallId", position, "toolName", args, "argsHash",
                          "idempotencyKey", "riskClass", status, attempts, "startedAt")
  SELECT c.id, $1, step.id, c."modelCallId", c.position, c."toolName", c.args, c."argsHash",
         $1 || ':' || ($3 - 1) || ':' || c.position, 'READ', 'RUNNING', 1, now()
  FROM step, jsonb_to_recordset($7::jsonb)
       AS c(id text, "modelCallId" text, position int, "toolName" text, args jsonb, "argsHash" text)
), events AS (
  INSERT INTO "RunEvent" ("runId", seq, type, data)
  SELECT $1, lease."lastEventSeq" - jsonb_array_length($8::jsonb) + e.ordinality, e.data->>'type', e.data
  FROM lease, jsonb_array_elements($8::jsonb) WITH ORDINALITY AS e(data, ordinality)
)
SELECT pg_notify('airlock_run_events', $1)::text AS notified`;

/** After the tools ran: lease check + counter, results, tool Message, events. */
const AFTER_TOOLS = `
WITH lease AS (
  UPDATE "Run" SET "lastEventSeq" = "lastEventSeq" + jsonb_array_length($6::jsonb), "updatedAt" = now()
  WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'
  RETURNING "lastEventSeq"
), calls AS (
  UPDATE "ToolCall" AS call SET status = 'SUCCEEDED', result = r.result, "finishedAt" = now()
  FROM lease, jsonb_to_recordset($5::jsonb) AS r(id text, result jsonb)
  WHERE call.id = r.id AND call.status = 'RUNNING'
), message AS (
  INSERT INTO "Message" ("conversationId", "runId", "stepIndex", role, parts)
  SELECT $3, $1, $4, 'TOOL', $7::jsonb FROM lease
), events AS (
  INSERT INTO "RunEvent" ("runId", seq, type, data)
  SELECT $1, lease."lastEventSeq" - jsonb_array_length($6::jsonb) + e.ordinality, e.data->>'type', e.data
  FROM lease, jsonb_array_elements($6::jsonb) WITH ORDINALITY AS e(data, ordinality)
)
SELECT pg_notify('airlock_run_events', $1)::text AS notified`;

type Execute = (sql: string, values: unknown[]) => Promise<unknown>;

async function batchedRun(execute: Execute, userId: string, clock: ModelCallClock): Promise<number[]> {
  const conversation = await createConversation({ ownerId: userId });
  const run = await sendMessage({
    ownerId: userId,
    conversationId: conversation.id,
    text: "Run the benchmark script.",
  });
  const workerId = `what-if-${randomUUID()}`;
  if ((await claimNextRun(workerId, 600_000)) !== run.id) throw new Error("could not claim the run");
  const model = createScriptedLanguageModel(
    { script: { toolSteps: STEPS, callsPerStep: 1 }, text: { tokens: 1, intervalMs: 0 } },
    clock,
  );
  const writer = {
    textDelta() {},
    emit: (event: unknown) =>
      execute(
        `WITH lease AS (UPDATE "Run" SET "lastEventSeq" = "lastEventSeq" + 1 WHERE id = $1 RETURNING "lastEventSeq")
         , inserted AS (INSERT INTO "RunEvent" ("runId", seq, type, data) SELECT $1, "lastEventSeq", $2, $3::jsonb FROM lease)
         SELECT pg_notify('airlock_run_events', $1)::text AS notified`,
        [run.id, (event as { type: string }).type, JSON.stringify(event)],
      ).then(() => {}),
    async flush() {},
  };
  const history: ModelMessage[] = [{ role: "user", content: [{ type: "text", text: "Run the benchmark script." }] }];
  clock.reset();
  for (let stepIndex = 0; ; stepIndex++) {
    const result = await runModelStep({
      model,
      messages: history,
      tools: [noopTool],
      stepIndex,
      modelId: "scripted",
      writer,
      signal: new AbortController().signal,
      maxRetries: 0,
      idleTimeoutMs: 60_000,
      logger,
    });
    if (result.toolCalls.length === 0) break;
    const assistantParts = result.toolCalls.map((call) => ({
      type: "tool-call" as const,
      toolCallId: call.modelCallId,
      toolName: call.toolName,
      input: call.input,
    }));
    const calls = result.toolCalls.map((call, position) => ({
      id: randomUUID(),
      modelCallId: call.modelCallId,
      position,
      toolName: call.toolName,
      args: call.input,
      argsHash: "sketch",
    }));
    const events = [
      { type: "step-finished", stepIndex, finishReason: result.finishReason, latencyMs: result.latencyMs },
      ...calls.map((call) => ({
        type: "tool-call-proposed",
        stepIndex,
        toolCallId: call.id,
        toolName: call.toolName,
        args: call.args,
      })),
      ...calls.map((call) => ({ type: "tool-call-updated", stepIndex, toolCallId: call.id, status: "RUNNING" })),
    ];
    await execute(BEFORE_TOOLS, [
      run.id,
      workerId,
      stepIndex + 1,
      randomUUID(),
      conversation.id,
      JSON.stringify(assistantParts),
      JSON.stringify(calls),
      JSON.stringify(events),
    ]);
    const outputs = await Promise.all(
      result.toolCalls.map((call) => noopTool.execute(call.input as never, {} as never)),
    );
    const toolParts = result.toolCalls.map((call, index) => ({
      type: "tool-result" as const,
      toolCallId: call.modelCallId,
      toolName: call.toolName,
      output: { type: "json" as const, value: outputs[index] as { ok: boolean } },
    }));
    await execute(AFTER_TOOLS, [
      run.id,
      workerId,
      conversation.id,
      stepIndex,
      JSON.stringify(calls.map((call, index) => ({ id: call.id, result: outputs[index] }))),
      JSON.stringify(
        calls.map((call, index) => ({
          type: "tool-call-updated",
          stepIndex,
          toolCallId: call.id,
          status: "SUCCEEDED",
          result: outputs[index],
        })),
      ),
      JSON.stringify(toolParts),
    ]);
    history.push({ role: "assistant", content: assistantParts });
    history.push({ role: "tool", content: toolParts });
  }
  return clock.stepOverheads();
}

await withBenchDatabase(async ({ url }) => {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  try {
    await roundTrips(pool);
    const user = await createTestUser("USER");
    const clock = new ModelCallClock();
    const variants: [string, Execute][] = [
      ["Prisma $queryRawUnsafe", (sql, values) => db().$queryRawUnsafe(sql, ...values)],
      ["node-postgres pool", (sql, values) => pool.query(sql, values)],
    ];
    const rows: string[][] = [];
    for (const [label, execute] of variants) {
      await batchedRun(execute, user.id, clock);
      const runs: number[][] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await batchedRun(execute, user.id, clock));
      const all = runs.flat();
      rows.push([
        label,
        formatMs(median(all)),
        formatMs(percentile(all, 99)),
        formatMs(median(stepWindow(runs, 1, 10))),
        formatMs(median(stepWindow(runs, STEPS - 9, STEPS))),
      ]);
    }
    printTable(
      `Same model path and rows, 2 statements per step (+1 for step-started) — ${RUNS} runs × ${STEPS} steps, ms`,
      ["writes through", "p50", "p99", "p50 steps 1–10", `p50 steps ${STEPS - 9}–${STEPS}`],
      rows,
    );
  } finally {
    await pool.end();
  }
});
