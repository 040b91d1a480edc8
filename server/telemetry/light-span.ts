/**
 * What instrumented code holds while its span is open (`SpanHandle`), and the light span:
 * a span under a sampled parent, handed to the span processor as a finished ReadableSpan
 * when it ends, without the SDK's Span object, sampler call and attribute copies. The
 * engine makes five spans per step, all of them light (tracing.ts decides when a span may
 * be: see `lightParent`).
 *
 * A light span is an @opentelemetry/api `Span` too, so it can be a parent: set in a
 * context with `trace.setSpan`, its children (light or SDK) nest under it. Its ids,
 * parent, trace state, flags, timing, status, scope and resource are what the SDK's span
 * would have had, so exporters see the same span either way.
 */
import { randomFillSync } from "node:crypto";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  TraceFlags,
} from "@opentelemetry/api";
import { hrTime, hrTimeDuration, type InstrumentationScope, timeInputToHrTime } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";

export type SpanAttributes = Record<string, AttributeValue | undefined | null>;

/** What the instrumented code may do with its span; a no-op when tracing is off. */
export interface SpanHandle {
  /** False when nothing is recorded (tracing off, or the trace not sampled): skip building attributes. */
  readonly recording: boolean;
  set(attributes: SpanAttributes): void;
  event(name: string, attributes?: SpanAttributes): void;
  fail(error: unknown): void;
}

/** Where light spans go, and what they share with the SDK's spans of the same provider. */
export interface LightSpanSink {
  /** The processor chain in front of the exporter (masking first). */
  processor: SpanProcessor;
  resource: Resource;
  /** The SDK tracer's own scope object: the OTLP serializer groups spans by its identity. */
  scope: InstrumentationScope;
}

/** Copies the set values into `into` (null and undefined are dropped, as the SDK drops them). */
export function keepDefined(attributes: SpanAttributes | undefined, into: Attributes): Attributes {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined && value !== null) into[key] = value;
  }
  return into;
}

/** A failed span's status and `error.type`, the same for SDK and light spans. */
export function failureOf(error: unknown): { status: { code: SpanStatusCode; message: string }; type: string } {
  return {
    status: { code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) },
    type: error instanceof Error ? error.name : "Error",
  };
}

const SPAN_ID_BYTES = 8;
const INVALID_SPAN_ID = "0".repeat(2 * SPAN_ID_BYTES);
/** Random bytes for span ids, refilled 512 ids at a time (one system call instead of two Math.random per id). */
const idPool = Buffer.allocUnsafe(512 * SPAN_ID_BYTES);
let idPoolUsed = idPool.length;

/** A random span id: 8 bytes as 16 lower-case hex digits, never all zero (which would be invalid). */
export function randomSpanId(): string {
  for (;;) {
    if (idPoolUsed === idPool.length) {
      randomFillSync(idPool);
      idPoolUsed = 0;
    }
    const id = idPool.toString("hex", idPoolUsed, idPoolUsed + SPAN_ID_BYTES);
    idPoolUsed += SPAN_ID_BYTES;
    if (id !== INVALID_SPAN_ID) return id;
  }
}

export class LightSpan implements Span, ReadableSpan, SpanHandle {
  readonly attributes: Attributes = {};
  readonly events: ReadableSpan["events"] = [];
  readonly links: Link[] = [];
  readonly startTime: HrTime = hrTime();
  endTime: HrTime = this.startTime;
  duration: HrTime = [0, 0];
  ended = false;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  private readonly context: SpanContext;
  private readonly processor: SpanProcessor;

  /** Starts the span now under `parent` (sampled: the caller checks), the span active in `parentContext`. */
  constructor(
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext,
    parentContext: Context,
    sink: LightSpanSink,
  ) {
    // As the SDK's: the parent's trace and trace state, sampled (the parent-based samplers' decision).
    this.context = {
      traceId: parentSpanContext.traceId,
      spanId: randomSpanId(),
      traceFlags: TraceFlags.SAMPLED,
      traceState: parentSpanContext.traceState,
    };
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    this.processor = sink.processor;
    this.processor.onStart(this, parentContext);
  }

  spanContext(): SpanContext {
    return this.context;
  }
  /** Itself: tracing.ts holds every started span as a handle and its span, and a light span is both. */
  get span(): Span {
    return this;
  }

  // SpanHandle: what Airlock's helpers hand to instrumented code.
  get recording(): boolean {
    return !this.ended;
  }
  set(attributes: SpanAttributes | undefined): void {
    if (!this.ended) keepDefined(attributes, this.attributes);
  }
  event(name: string, attributes?: SpanAttributes): void {
    if (this.ended) return;
    this.events.push({ name, time: hrTime(), attributes: keepDefined(attributes, {}), droppedAttributesCount: 0 });
  }
  fail(error: unknown): void {
    const failure = failureOf(error);
    this.setStatus(failure.status);
    this.set({ "error.type": failure.type });
  }

  // Span: what other instrumentation may call on its active span.
  setAttribute(key: string, value: AttributeValue): this {
    this.set({ [key]: value });
    return this;
  }
  setAttributes(attributes: Attributes): this {
    this.set(attributes);
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    const timed = isTimeInput(attributesOrTime);
    const at = timed ? attributesOrTime : time;
    this.events.push({
      name,
      time: at === undefined ? hrTime() : timeInputToHrTime(at),
      attributes: keepDefined(timed ? undefined : attributesOrTime, {}),
      droppedAttributesCount: 0,
    });
    return this;
  }
  addLink(link: Link): this {
    if (!this.ended) this.links.push({ context: link.context, attributes: keepDefined(link.attributes, {}) });
    return this;
  }
  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }
  /** As the SDK's: UNSET changes nothing, OK is final, only ERROR keeps a message. */
  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === "string"
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }
  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }
  recordException(exception: Exception, time?: TimeInput): void {
    const error = typeof exception === "string" ? { message: exception } : exception;
    this.addEvent(
      "exception",
      {
        "exception.type": "code" in error && error.code !== undefined ? String(error.code) : error.name,
        "exception.message": error.message,
        "exception.stacktrace": error.stack,
      },
      time,
    );
  }
  isRecording(): boolean {
    return !this.ended;
  }
  /** Ends the span (once) and hands it to the processor chain, which masks it before any exporter. */
  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.endTime = endTime === undefined ? hrTime() : timeInputToHrTime(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      // An end before the start: the SDK's "duration 0" too.
      this.endTime = this.startTime;
      this.duration = [0, 0];
    }
    this.ended = true;
    this.processor.onEnd(this);
  }
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === "number" || value instanceof Date || Array.isArray(value);
}
