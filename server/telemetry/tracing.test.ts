import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  activeSpanIds,
  contextOf,
  maskTraceWith,
  openSpan,
  REDACTED_ATTRIBUTE,
  startTracing,
  stopTracing,
  traced,
} from "./tracing";

const exporter = new InMemorySpanExporter();

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
