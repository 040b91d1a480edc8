import { ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { LightSpan, randomSpanId } from "./light-span";
import {
  activeSpanIds,
  contextOf,
  enterSpan,
  maskTraceWith,
  openSpan,
  startTracing,
  stopTracing,
  traced,
} from "./tracing";

/** A new one per started provider: stopping tracing shuts its exporter down for good. */
let exporter = new InMemorySpanExporter();

function finished(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(found, `spans named ${name}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

const remoteParent = (traceFlags: number): SpanContext => ({
  traceId: "5".repeat(32),
  spanId: "6".repeat(16),
  traceFlags,
  isRemote: true,
  traceState: new TraceState("vendor=value"),
});

describe("light spans under the default (parent-based) sampler", () => {
  beforeAll(() => {
    startTracing({ exporter, simple: true });
  });
  afterEach(() => {
    exporter.reset();
  });
  afterAll(async () => {
    await stopTracing();
  });

  it("are parents: children (light, or SDK spans with links) nest under a step opened under the attempt", async () => {
    const attempt = openSpan("run.attempt");
    const step = openSpan("step", { "airlock.step.index": 0 }, { parent: contextOf(attempt) });
    let insideTool: ReturnType<typeof activeSpanIds> = null;
    await step.within(async () => {
      await traced("chat demo", {}, async () => {}, { leaf: true });
      await traced("execute_tool read_a", { "gen_ai.tool.name": "read_a" }, async () => {
        insideTool = activeSpanIds();
        await traced("db.run-write", {}, async () => {}, { leaf: true });
        await traced("linked", {}, async () => {}, { links: [{ context: remoteParent(1) }] });
      });
    });
    step.end();
    attempt.end();

    const [attemptSpan, stepSpan, tool] = [finished("run.attempt"), finished("step"), finished("execute_tool read_a")];
    expect(stepSpan).toBeInstanceOf(LightSpan);
    expect(tool).toBeInstanceOf(LightSpan);
    expect(finished("linked")).not.toBeInstanceOf(LightSpan);
    expect(stepSpan.parentSpanContext?.spanId).toBe(attemptSpan.spanContext().spanId);
    expect(finished("chat demo").parentSpanContext?.spanId).toBe(stepSpan.spanContext().spanId);
    expect(tool.parentSpanContext?.spanId).toBe(stepSpan.spanContext().spanId);
    expect(insideTool).toEqual({ traceId: attemptSpan.spanContext().traceId, spanId: tool.spanContext().spanId });
    for (const child of [finished("db.run-write"), finished("linked")]) {
      expect(child.parentSpanContext?.spanId).toBe(tool.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(attemptSpan.spanContext().traceId);
    }
    // What the OTLP serializer groups by, by identity: one resource, one scope for SDK and light spans.
    expect(stepSpan.instrumentationScope).toBe(attemptSpan.instrumentationScope);
    expect(stepSpan.resource).toBe(attemptSpan.resource);
    expect(stepSpan.attributes).toEqual({ "airlock.step.index": 0 });
    expect(stepSpan.ended).toBe(true);
  });

  it("become the active parent with enterSpan, for log lines and children alike", async () => {
    const attempt = openSpan("run.attempt");
    let inStep: ReturnType<typeof activeSpanIds> = null;
    await attempt.within(async () => {
      const step = openSpan("step", {}, { parent: contextOf(attempt) });
      enterSpan(step);
      inStep = activeSpanIds();
      await traced("policy.decide", {}, async () => {}, { leaf: true });
      step.end({ "airlock.step.outcome": "done" });
    });
    attempt.end();
    const step = finished("step");
    expect(inStep).toEqual({ traceId: step.spanContext().traceId, spanId: step.spanContext().spanId });
    expect(finished("policy.decide").parentSpanContext?.spanId).toBe(step.spanContext().spanId);
    expect(step.attributes).toEqual({ "airlock.step.outcome": "done" });
  });

  it("are masked like SDK spans: released values hidden in name, attributes, status; secret keys redacted", async () => {
    const attempt = openSpan("run.attempt");
    await attempt.within(async () => {
      maskTraceWith(new Set(["light-released-value-9"]));
      await expect(
        traced(
          "execute_tool light-released-value-9",
          { "airlock.api_key": "k", "airlock.note": null },
          async (span) => {
            span.set({ "airlock.tool.error": "saw light-released-value-9" });
            throw new Error("failed on light-released-value-9");
          },
        ),
      ).rejects.toThrow("failed on");
    });
    attempt.end();
    const tool = finished("execute_tool [hidden]");
    expect(JSON.stringify({ ...tool, resource: undefined })).not.toContain("light-released-value-9");
    expect(tool.attributes).toEqual({
      "airlock.api_key": "[redacted]",
      "airlock.tool.error": "saw [hidden]",
      "error.type": "Error",
    });
    expect(tool.status).toEqual({ code: 2, message: "failed on [hidden]" });
  });

  it("carry the parent's trace and trace state, sampled, with a fresh valid span id", async () => {
    await traced("execute_tool remote", {}, async () => {}, {
      parent: trace.setSpanContext(ROOT_CONTEXT, remoteParent(TraceFlags.SAMPLED)),
    });
    const span = finished("execute_tool remote");
    expect(span).toBeInstanceOf(LightSpan);
    expect(span.spanContext()).toMatchObject({ traceId: "5".repeat(32), traceFlags: TraceFlags.SAMPLED });
    expect(span.spanContext().traceState?.serialize()).toBe("vendor=value");
    expect(span.parentSpanContext).toMatchObject({ spanId: "6".repeat(16), isRemote: true });
  });

  it("follow the parent's sampling: nothing recorded under an unsampled parent, as the SDK would", async () => {
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, remoteParent(TraceFlags.NONE));
    let childIds = null as ReturnType<typeof activeSpanIds>;
    await traced(
      "execute_tool unsampled",
      {},
      async (span) => {
        expect(span.recording).toBe(false);
        childIds = activeSpanIds();
        await traced("policy.decide", {}, async (leaf) => expect(leaf.recording).toBe(false), { leaf: true });
      },
      { parent: unsampled },
    );
    const step = openSpan("step", {}, { parent: unsampled });
    expect(step.recording).toBe(false);
    step.end();
    expect(exporter.getFinishedSpans()).toEqual([]);
    // The SDK's non-recording span still propagates: its own span id, not sampled.
    expect(childIds).toMatchObject({ traceId: "5".repeat(32) });
    expect(childIds?.spanId).not.toBe("6".repeat(16));
  });
});

describe("a sampler that ignores the parent (OTEL_TRACES_SAMPLER=always_on)", () => {
  beforeAll(() => {
    process.env.OTEL_TRACES_SAMPLER = "always_on";
    resetEnvForTests();
    exporter = new InMemorySpanExporter();
    startTracing({ exporter, simple: true });
  });
  afterAll(async () => {
    await stopTracing();
    delete process.env.OTEL_TRACES_SAMPLER;
    resetEnvForTests();
    exporter.reset();
  });

  it("decides every span with the SDK: children of an unsampled parent are recorded, no light spans", async () => {
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, remoteParent(TraceFlags.NONE));
    await traced("policy.decide", {}, async () => {}, { leaf: true, parent: unsampled });
    await traced("execute_tool read_a", {}, async () => {}, { parent: unsampled });
    for (const name of ["policy.decide", "execute_tool read_a"]) {
      expect(finished(name)).not.toBeInstanceOf(LightSpan);
      expect(finished(name).parentSpanContext?.spanId).toBe("6".repeat(16));
    }
  });
});

describe("span ids", () => {
  it("are 8 random bytes in hex, never all zero, not repeated", () => {
    const ids = Array.from({ length: 5_000 }, randomSpanId);
    for (const id of ids) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
