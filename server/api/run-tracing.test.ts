import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "../approvals/decide-approval";
import { environmentForChild } from "../env";
import { metricsText } from "../telemetry/metrics";
import { SpanKind, startTracing, stopTracing, traced } from "../telemetry/tracing";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  startTestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { type OtlpReceiver, type SeenSpan, startOtlpReceiver } from "../testing/otlp-receiver";
import { TRACE_MODEL_ID, TRACE_SECRET, traceScenarioModel, traceScenarioTools } from "../testing/trace-scenario";
import { createToolRegistry } from "../tools/registry";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

function fromSdk(span: ReadableSpan): SeenSpan {
  return {
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    statusMessage: span.status.message,
    links: span.links.map((link) => ({ traceId: link.context.traceId, spanId: link.context.spanId })),
    events: span.events.map((event) => JSON.stringify(event)),
  };
}

function spawnTracedWorker(databaseUrl: string, endpoint: string): { child: ChildProcess; output: () => string } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", path.join(import.meta.dirname, "../testing/traced-worker.ts")],
    {
      cwd: path.resolve(import.meta.dirname, "../.."),
      env: environmentForChild({
        DATABASE_URL: databaseUrl,
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: "airlock-worker-b",
      }),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  return { child, output: () => output };
}

let database: TestDatabase;
const exporter = new InMemorySpanExporter();
let receiver: OtlpReceiver;
let child: ChildProcess | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  startTracing({ exporter, simple: true });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await stopTracing();
  await receiver?.stop();
  await database?.drop();
});

function byName(spans: SeenSpan[], name: string): SeenSpan[] {
  return spans.filter((span) => span.name === name);
}

function only(spans: SeenSpan[], name: string): SeenSpan {
  const found = byName(spans, name);
  expect(found, `spans named ${name}`).toHaveLength(1);
  return found[0] as SeenSpan;
}

describe("one trace per run, across an approval and a resume in another process", () => {
  it("has the expected span tree, links and attributes, and no secret anywhere", async () => {
    const user = await createTestUser("USER");
    const reviewer = await createTestUser("REVIEWER");
    const conversation = await createTestConversation(user.id, TRACE_MODEL_ID);
    const tools = traceScenarioTools();

    // Process A (this one): the run up to its approval wait.
    const workerA = await startTestWorker(testEngineDependencies({ model: traceScenarioModel(), tools }));
    const { runId } = await createCaller(createInnerContext({ userId: user.id })).chat.send({
      conversationId: conversation.id,
      text: "Read A and B and the deploy key",
    });
    expect(await workerA.waitForRun(runId)).toBe("AWAITING_APPROVAL");
    await workerA.stop();
    const [request] = await database.query<{ id: string }>(
      `SELECT "id" FROM "ApprovalRequest" WHERE "runId" = $1 AND "status" = 'PENDING'`,
      [runId],
    );
    expect(request).toBeDefined();

    // The reviewer's request (its own trace, as an incoming HTTP request would have).
    await traced(
      "trpc approvals.decide",
      { "rpc.method": "approvals.decide" },
      () =>
        decideApproval({
          requestId: request?.id as string,
          reviewerId: reviewer.id,
          decision: { verdict: "approve" },
          tools: createToolRegistry(tools),
        }),
      { kind: SpanKind.SERVER },
    );

    // Process B: resumes the run and exports over OTLP/HTTP to the receiver.
    const worker = spawnTracedWorker(database.url, receiver.url);
    child = worker.child;
    expect(await waitForRunStatus(runId, ["COMPLETED", "FAILED"], 60_000)).toBe("COMPLETED");
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;

    const [row] = await database.query<{ traceContext: string }>(`SELECT "traceContext" FROM "Run" WHERE "id" = $1`, [
      runId,
    ]);
    const [, traceId, rootSpanId] = (row?.traceContext ?? "").split("-");
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    const local = exporter.getFinishedSpans().map(fromSdk);
    const remote = receiver.spans;
    const inTrace = (spans: SeenSpan[]) => spans.filter((span) => span.traceId === traceId);

    // The run's trace starts in the sender's request: trpc chat.send → run.
    const send = only(local, "trpc chat.send");
    const root = only(inTrace(local), "run");
    expect(send.traceId).toBe(traceId);
    expect(root.spanId).toBe(rootSpanId);
    expect(root.parentSpanId).toBe(send.spanId);
    expect(root.attributes["airlock.run.id"]).toBe(runId);

    // Process A: one attempt under the run, one step, one model call, two parallel reads.
    const attemptA = only(inTrace(local), "run.attempt");
    expect(attemptA.parentSpanId).toBe(rootSpanId);
    expect(attemptA.attributes["airlock.run.outcome"]).toBe("AWAITING_APPROVAL");
    const stepA = only(inTrace(local), "step");
    expect(stepA.parentSpanId).toBe(attemptA.spanId);
    const modelA = only(inTrace(local), "chat demo");
    expect(modelA.parentSpanId).toBe(stepA.spanId);
    expect(modelA.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "airlock.demo",
      "gen_ai.request.model": "demo",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
      "gen_ai.response.finish_reasons": ["tool-calls"],
    });
    expect(JSON.stringify(modelA.attributes)).not.toContain("Read A and B");
    const reads = inTrace(local).filter((span) => span.name.startsWith("execute_tool read_"));
    expect(reads.map((span) => span.attributes["gen_ai.tool.name"]).sort()).toEqual(["read_a", "read_b"]);
    for (const read of reads) {
      expect(read.parentSpanId).toBe(stepA.spanId);
      expect(read.attributes).toMatchObject({ "airlock.tool.risk_class": "READ", "airlock.tool.outcome": "SUCCEEDED" });
    }
    const decisionsA = byName(inTrace(local), "policy.decide");
    expect(decisionsA.map((span) => span.attributes["airlock.policy.decision"]).sort()).toEqual([
      "ALLOW",
      "ALLOW",
      "REQUIRE_APPROVAL",
      "REQUIRE_APPROVAL",
    ]);
    expect(decisionsA.every((span) => typeof span.attributes["airlock.policy.version"] === "number")).toBe(true);
    const commits = byName(inTrace(local), "db.run-write");
    expect(commits.some((span) => span.parentSpanId === stepA.spanId && span.attributes["airlock.write.step"])).toBe(
      true,
    );
    const settleA = only(inTrace(local), "step.settle");
    expect(settleA.parentSpanId).toBe(attemptA.spanId);
    const requested = only(inTrace(local), "approval.requested");
    expect(requested.attributes).toMatchObject({
      "gen_ai.tool.name": "read_secret",
      "airlock.tool.risk_class": "SENSITIVE_READ",
    });

    // The decision: in the run's trace under its root, linked to the reviewer's request.
    const decideRequest = only(local, "trpc approvals.decide");
    expect(decideRequest.traceId).not.toBe(traceId);
    const decided = only(inTrace(local), "approval.decide");
    const waited = only(inTrace(local), "approval.wait");
    for (const span of [decided, waited]) {
      expect(span.parentSpanId).toBe(rootSpanId);
      expect(span.links).toEqual([{ traceId: decideRequest.traceId, spanId: decideRequest.spanId }]);
      expect(span.attributes).toMatchObject({
        "airlock.approval.verdict": "APPROVE",
        "airlock.approval.decided_by": reviewer.id,
        "airlock.approval.id": request?.id,
      });
    }

    // Process B, received over OTLP/HTTP (protobuf, the default encoding): the same trace,
    // the resumed attempt under the same root.
    expect(receiver.bodies.length).toBeGreaterThan(0);
    expect(new Set(receiver.contentTypes)).toEqual(new Set(["application/x-protobuf"]));
    const attemptB = only(inTrace(remote), "run.attempt");
    expect(attemptB.parentSpanId).toBe(rootSpanId);
    expect(attemptB.attributes).toMatchObject({ "airlock.run.resumed": true, "airlock.run.outcome": "COMPLETED" });
    const settleB = only(inTrace(remote), "step.settle");
    expect(settleB.parentSpanId).toBe(attemptB.spanId);
    const secretCall = only(inTrace(remote), "execute_tool read_secret");
    expect(secretCall.parentSpanId).toBe(settleB.spanId);
    expect(secretCall.attributes).toMatchObject({
      "airlock.tool.risk_class": "SENSITIVE_READ",
      "airlock.tool.approved": true,
      "airlock.tool.outcome": "SUCCEEDED",
    });
    const stepsB = byName(inTrace(remote), "step");
    expect(stepsB.map((span) => span.attributes["airlock.step.index"]).sort()).toEqual([1, 2]);
    for (const step of stepsB) expect(step.parentSpanId).toBe(attemptB.spanId);
    const useKey = only(inTrace(remote), "execute_tool use_key");
    expect(stepsB.map((span) => span.spanId)).toContain(useKey.parentSpanId);
    expect(useKey.attributes["airlock.tool.outcome"]).toBe("FAILED");
    // The failure repeats the released key: masked in the span's status and attributes.
    expect(useKey.statusMessage).toContain("the service refused key [hidden]");
    expect(byName(inTrace(remote), "chat demo")).toHaveLength(2);

    // No secret value in any span (either process), in the worker's log lines, or in the metrics.
    expect(JSON.stringify(local)).not.toContain(TRACE_SECRET);
    expect(receiver.bodies.join("\n")).not.toContain(TRACE_SECRET);
    expect(worker.output()).not.toContain(TRACE_SECRET);
    expect(await metricsText()).not.toContain(TRACE_SECRET);
  }, 120_000);
});
