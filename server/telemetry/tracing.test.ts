import { createContextKey, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startOtlpReceiver } from "../testing/otlp-receiver";
import {
  activeSpanIds,
  contextOf,
  maskTraceWith,
  openSpan,
  otlpExporter,
  REDACTED_ATTRIBUTE,
  SpanKind,
  startTracing,
  stopTracing,
  traced,
} from "./tracing";

const exporter = new InMemorySpanExporter();
const REMOTE = { traceId: "7".repeat(32), spanId: "8".repeat(16), traceFlags: 1, isRemote: true };

beforeAll(() => {
  startTracing({ exporter, simple: true });
});

afterEach(() => {
  exporter.reset();
});

afterAll(async () => {
  await stopTracing();
});

/** What an exporter was handed, as one string: every name, attribute, event, link and status. */
function exported(span: ReadableSpan): string {
  return JSON.stringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links.map((link) => link.attributes),
    status: span.status,
  });
}

function finished(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  expect(found, `spans named ${name}`).toHaveLength(1);
  return found[0] as ReadableSpan;
}

describe("what leaves in a span (invariant 4)", () => {
  it("hides the run's released values everywhere in the span, and redacts secret-looking keys", async () => {
    const released = new Set(["sk-live-4f9a8b7c6d5e"]);
    const root = openSpan("run.attempt");
    await root.within(async () => {
      maskTraceWith(released);
      const reviewer = { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 };
      await traced(
        "execute_tool call sk-live-4f9a8b7c6d5e",
        {
          "airlock.tool.error": "refused key sk-live-4f9a8b7c6d5e",
          "airlock.policy.reasons": ["quoted: sk-live-4f9a8b7c6d5e"],
          "airlock.api_key": "not a released value, but its key says secret",
          "gen_ai.usage.input_tokens": 12,
          "airlock.absent": null,
          "airlock.undefined": undefined,
        },
        async (span) => {
          span.event("retry", { "airlock.note": "again with sk-live-4f9a8b7c6d5e" });
          span.fail(new Error("the service refused key sk-live-4f9a8b7c6d5e"));
        },
        { links: [{ context: reviewer, attributes: { "airlock.link": "sk-live-4f9a8b7c6d5e" } }] },
      );
    });
    root.end();

    const span = finished("execute_tool call [hidden]");
    expect(exported(span)).not.toContain("sk-live-4f9a8b7c6d5e");
    expect(span.attributes).toEqual({
      "airlock.tool.error": "refused key [hidden]",
      "airlock.policy.reasons": ["quoted: [hidden]"],
      "airlock.api_key": REDACTED_ATTRIBUTE,
      "gen_ai.usage.input_tokens": 12,
      "error.type": "Error",
    });
    expect(span.status.message).toBe("the service refused key [hidden]");
    expect(span.events.map((event) => event.attributes)).toEqual([{ "airlock.note": "again with [hidden]" }]);
    expect(span.links.map((link) => link.attributes)).toEqual([{ "airlock.link": "[hidden]" }]);
  });

  it("hides a value released after the run's first spans ended (the set is live; the mask follows it)", async () => {
    const released = new Set(["first-released-value-1"]);
    const root = openSpan("run.attempt");
    await root.within(async () => {
      maskTraceWith(released);
      await traced("step", { "airlock.note": "first-released-value-1" }, async () => {});
      released.add("second-released-value-2");
      await traced("step.later", {}, async (span) => {
        span.set({ "airlock.note": "first-released-value-1 then second-released-value-2" });
      });
    });
    root.end();
    expect(finished("step").attributes["airlock.note"]).toBe("[hidden]");
    expect(finished("step.later").attributes["airlock.note"]).toBe("[hidden] then [hidden]");
  });

  it("leaves a span of another trace, and a span with nothing to hide, as they were", async () => {
    const root = openSpan("run.attempt");
    await root.within(async () => {
      maskTraceWith(new Set(["only-this-trace-value"]));
    });
    root.end();
    await traced("elsewhere", { "airlock.note": "only-this-trace-value", "airlock.count": 3 }, async () => {});
    expect(finished("elsewhere").attributes).toEqual({ "airlock.note": "only-this-trace-value", "airlock.count": 3 });
  });
});

describe("span nesting", () => {
  it("makes a span the active parent for its work, except a leaf span", async () => {
    const root = openSpan("root");
    const rootIds = await root.within(async () => activeSpanIds());
    let insideLeaf: ReturnType<typeof activeSpanIds> = null;
    let insideParent: ReturnType<typeof activeSpanIds> = null;
    await root.within(async () => {
      await traced(
        "db.run-write",
        {},
        async () => {
          insideLeaf = activeSpanIds();
        },
        { leaf: true },
      );
      await traced("execute_tool", {}, async () => {
        insideParent = activeSpanIds();
        await traced("child", {}, async () => {});
      });
    });
    root.end();
    expect(contextOf(root)).toBeDefined();
    const rootSpanId = rootIds?.spanId;
    expect(finished("db.run-write").parentSpanContext?.spanId).toBe(rootSpanId);
    expect(insideLeaf).toEqual(rootIds);
    const tool = finished("execute_tool");
    expect(tool.parentSpanContext?.spanId).toBe(rootSpanId);
    expect(insideParent).toEqual({ traceId: rootIds?.traceId, spanId: tool.spanContext().spanId });
    expect(finished("child").parentSpanContext?.spanId).toBe(tool.spanContext().spanId);
  });
});

describe("span contexts", () => {
  it("hold the span for the API and keep the parent context's other values", async () => {
    const key = createContextKey("airlock.test.value");
    const root = openSpan("root");
    const parent = contextOf(root)?.setValue(key, "kept");
    const child = openSpan("child", {}, { parent });
    const childContext = contextOf(child);
    expect(childContext?.getValue(key)).toBe("kept");
    const childSpan = trace.getSpan(childContext ?? parent ?? ROOT_CONTEXT);
    expect(childSpan?.spanContext().spanId).not.toBe(trace.getSpan(parent ?? ROOT_CONTEXT)?.spanContext().spanId);
    expect(trace.getSpan(trace.deleteSpan(childContext ?? ROOT_CONTEXT))).toBeUndefined();
    expect(
      trace.getSpan(trace.setSpan(childContext ?? ROOT_CONTEXT, trace.wrapSpanContext(REMOTE)))?.spanContext(),
    ).toBe(REMOTE);
    child.end();
    root.end();
    expect(finished("child").parentSpanContext?.spanId).toBe(finished("root").spanContext().spanId);
  });
});

describe("leaf spans (handed to the processor without the SDK's Span object)", () => {
  it("carry ids, parent, kind, timing, attributes, events, status and masking like an SDK span", async () => {
    const released = new Set(["leaf-released-value-7"]);
    const root = openSpan("run.attempt");
    const started = Date.now();
    await root.within(async () => {
      maskTraceWith(released);
      await traced(
        "db.run-write",
        { "db.system.name": "postgresql", "airlock.absent": null, "airlock.note": "has leaf-released-value-7" },
        async (span) => {
          expect(span.recording).toBe(true);
          span.set({ "airlock.write.calls": 2, "airlock.undefined": undefined });
          span.event("retry", { "airlock.attempt": 2 });
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
        { leaf: true, kind: SpanKind.CLIENT },
      );
      await expect(
        traced("policy.decide", {}, async () => Promise.reject(new Error("no policy for leaf-released-value-7")), {
          leaf: true,
        }),
      ).rejects.toThrow("no policy");
    });
    root.end();
    const rootSpan = finished("run.attempt");
    const write = finished("db.run-write");
    expect(write.spanContext().traceId).toBe(rootSpan.spanContext().traceId);
    expect(write.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(write.spanContext().spanId).not.toBe(rootSpan.spanContext().spanId);
    expect(write.parentSpanContext?.spanId).toBe(rootSpan.spanContext().spanId);
    expect(write.kind).toBe(SpanKind.CLIENT);
    expect(write.attributes).toEqual({
      "db.system.name": "postgresql",
      "airlock.note": "has [hidden]",
      "airlock.write.calls": 2,
    });
    expect(write.events.map((event) => [event.name, event.attributes])).toEqual([["retry", { "airlock.attempt": 2 }]]);
    const startMs = write.startTime[0] * 1000 + write.startTime[1] / 1e6;
    const durationMs = write.duration[0] * 1000 + write.duration[1] / 1e6;
    expect(Math.abs(startMs - started)).toBeLessThan(1000);
    expect(durationMs).toBeGreaterThanOrEqual(4);
    expect(write.ended).toBe(true);
    expect(write.resource.attributes["service.name"]).toBe("airlock");
    const failed = finished("policy.decide");
    expect(failed.status).toEqual({ code: 2, message: "no policy for [hidden]" });
    expect(failed.attributes["error.type"]).toBe("Error");
  });

  it("records nothing under an unsampled parent, and is a normal span without a parent", async () => {
    const unsampled = { traceId: "3".repeat(32), spanId: "4".repeat(16), traceFlags: 0 };
    await traced("under-unsampled", {}, async (span) => expect(span.recording).toBe(false), {
      leaf: true,
      parent: trace.setSpanContext(ROOT_CONTEXT, unsampled),
    });
    await traced("no-parent", { "airlock.note": "root leaf" }, async () => {}, { leaf: true });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(["no-parent"]);
    expect(finished("no-parent").parentSpanContext).toBeUndefined();
  });
});

describe("OTLP/HTTP export, in both encodings", () => {
  it("sends protobuf or JSON that a collector decodes to the same spans", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const root = openSpan("run.attempt");
      await root.within(() =>
        traced(
          "execute_tool read_a",
          { "gen_ai.tool.name": "read_a", "airlock.count": 3, "airlock.flag": true },
          async () => {},
        ),
      );
      root.end();
      const spans = exporter.getFinishedSpans();
      for (const protocol of ["http/protobuf", "http/json"] as const) {
        const otlp = otlpExporter({ url: `${receiver.url}/v1/traces`, protocol });
        const result = await new Promise<{ code: number }>((resolve) => otlp.export(spans, resolve));
        expect(result.code, protocol).toBe(0);
        await otlp.shutdown();
      }
      expect(receiver.contentTypes).toEqual(["application/x-protobuf", "application/json"]);
      const [fromProtobuf, fromJson] = [receiver.spans.slice(0, 2), receiver.spans.slice(2)];
      expect(fromProtobuf).toEqual(fromJson);
      const tool = fromProtobuf.find((span) => span.name === "execute_tool read_a");
      const parent = fromProtobuf.find((span) => span.name === "run.attempt");
      expect(tool?.parentSpanId).toBe(parent?.spanId);
      expect(tool?.traceId).toBe(parent?.traceId);
      expect(tool?.attributes).toEqual({ "gen_ai.tool.name": "read_a", "airlock.count": 3, "airlock.flag": true });
    } finally {
      await receiver.stop();
    }
  });
});
