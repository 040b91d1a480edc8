/**
 * OpenTelemetry tracing: the tracer provider (OTLP/HTTP export when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set), the one helper every instrumented place uses
 * (`traced`), and the guarantee that nothing sensitive leaves in a span (invariant 4):
 * every span passes a masking step before any exporter sees it.
 *
 * Without a started provider every helper here returns at once without allocating a
 * span or a context, so tracing costs next to nothing when it is off.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TimeInput,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { env } from "../env";
import { maskDeep, maskSensitive } from "../shared/sensitive-values";

export const TRACER_NAME = "airlock";
export const REDACTED_ATTRIBUTE = "[redacted]";
/** String attributes under keys like these never leave (counts such as `*_tokens` are numbers and stay). */
const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;

export type SpanAttributes = Record<string, AttributeValue | undefined | null>;

/**
 * The active context in AsyncLocalStorage, like the SDK's AsyncLocalStorageContextManager,
 * plus `enter`: a step's span becomes the active parent for the rest of the engine's loop
 * iteration without wrapping its code in a callback (the loop stays as it reads).
 */
class EngineContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(context: Context, target: T): T {
    if (typeof target !== "function") return target;
    const storage = this.storage;
    return function (this: unknown, ...args: unknown[]) {
      return storage.run(context, () => (target as (...inner: unknown[]) => unknown).apply(this, args));
    } as T;
  }
  /** Makes `context` active for the rest of the current async function (and what it starts). */
  enter(context: Context): void {
    this.storage.enterWith(context);
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

interface Tracing {
  provider: TracerProvider;
  contextManager: EngineContextManager;
}

let active: Tracing | null = null;

/**
 * Released sensitive values per trace id: the engine registers its run's set (the same
 * live set it masks events and logs with), the masking step reads it as each span ends.
 */
const sensitiveByTrace = new Map<string, ReadonlySet<string>>();

export function tracingActive(): boolean {
  return active !== null;
}

/** Hides, in one string, what may never leave: the run's released values. */
function maskText(text: string, sensitive: ReadonlySet<string> | undefined): string {
  return sensitive && sensitive.size > 0 ? maskSensitive(text, sensitive) : text;
}

export function maskAttributes(attributes: Attributes, sensitive: ReadonlySet<string> | undefined): Attributes {
  const masked: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    if (SECRET_KEY.test(key) && (typeof value === "string" || Array.isArray(value))) {
      masked[key] = REDACTED_ATTRIBUTE;
    } else if (typeof value === "string") {
      masked[key] = maskText(value, sensitive);
    } else if (Array.isArray(value) && sensitive && sensitive.size > 0) {
      masked[key] = maskDeep(value, sensitive) as AttributeValue;
    } else {
      masked[key] = value;
    }
  }
  return masked;
}

/** A copy of the span with attributes, events, links and status masked; what exporters get. */
export function maskSpan(span: ReadableSpan): ReadableSpan {
  const sensitive = sensitiveByTrace.get(span.spanContext().traceId);
  return {
    name: maskText(span.name, sensitive),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanContext ? { parentSpanContext: span.parentSpanContext } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: {
      code: span.status.code,
      ...(span.status.message !== undefined ? { message: maskText(span.status.message, sensitive) } : {}),
    },
    attributes: maskAttributes(span.attributes, sensitive),
    links: span.links.map((link) => ({
      context: link.context,
      ...(link.attributes ? { attributes: maskAttributes(link.attributes, sensitive) } : {}),
    })),
    events: span.events.map((event) => ({
      ...event,
      name: maskText(event.name, sensitive),
      ...(event.attributes ? { attributes: maskAttributes(event.attributes, sensitive) } : {}),
    })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** Hands exporters masked copies only; wraps the real (batch or simple) processor. */
class MaskingSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Parameters<SpanProcessor["onStart"]>[0], parent: Context): void {
    this.inner.onStart(span, parent);
  }
  onEnd(span: ReadableSpan): void {
    this.inner.onEnd(maskSpan(span));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

function samplerFrom(name: string, ratio: number): Sampler {
  const samplers: Record<string, () => Sampler> = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: () => new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
  };
  const make = samplers[name] ?? (() => new ParentBasedSampler({ root: new AlwaysOnSampler() }));
  return make();
}

export interface StartTracingOptions {
  /** An exporter of the caller's (tests: in-memory); default: OTLP/HTTP to the configured endpoint. */
  exporter?: SpanExporter;
  /** Export each span as it ends (tests) instead of in batches. */
  simple?: boolean;
}

/**
 * Starts tracing for this process: with an exporter given, or when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set. Returns false (and does nothing) otherwise.
 */
export function startTracing(options: StartTracingOptions = {}): boolean {
  if (active) return true;
  const config = env();
  const endpoint = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? tracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (!options.exporter && (!endpoint || config.OTEL_SDK_DISABLED)) return false;
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({
      url: endpoint as string,
      headers: { ...config.OTEL_EXPORTER_OTLP_HEADERS, ...config.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    });
  const inner = options.simple ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...config.OTEL_RESOURCE_ATTRIBUTES,
        [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME,
        [ATTR_SERVICE_VERSION]: "0.1.0",
      }),
    ),
    sampler: samplerFrom(config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG),
    spanProcessors: [new MaskingSpanProcessor(inner)],
  });
  const contextManager = new EngineContextManager();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  active = { provider, contextManager };
  return true;
}

function tracesUrl(base: string | undefined): string | undefined {
  if (!base) return undefined;
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}

/** Exports what is buffered and stops; tests and a stopping process call it. */
export async function stopTracing(): Promise<void> {
  const current = active;
  if (!current) return;
  active = null;
  await current.provider.shutdown();
  trace.disable();
  context.disable();
  sensitiveByTrace.clear();
}

export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

function clean(attributes: SpanAttributes | undefined): Attributes {
  const result: Attributes = {};
  if (!attributes) return result;
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined && value !== null) result[key] = value;
  return result;
}

export interface TracedOptions {
  kind?: SpanKind;
  links?: Link[];
  /** The parent: default the active span. */
  parent?: Context;
  startTime?: TimeInput;
}

/** What the instrumented code may do with its span; a no-op when tracing is off. */
export interface SpanHandle {
  set(attributes: SpanAttributes): void;
  event(name: string, attributes?: SpanAttributes): void;
  fail(error: unknown): void;
}

const NOOP_HANDLE: SpanHandle = { set() {}, event() {}, fail() {} };

function handleOf(span: Span): SpanHandle {
  return {
    set: (attributes) => span.setAttributes(clean(attributes)),
    event: (name, attributes) => span.addEvent(name, clean(attributes)),
    fail: (error) => recordFailure(span, error),
  };
}

function recordFailure(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute("error.type", error instanceof Error ? error.name : "Error");
}

/**
 * Runs `work` inside a span named `name`: the span is active for everything `work`
 * awaits (children nest under it), ends when it settles, and records a thrown error.
 */
export async function traced<T>(
  name: string,
  attributes: SpanAttributes | undefined,
  work: (span: SpanHandle) => Promise<T>,
  options: TracedOptions = {},
): Promise<T> {
  if (!active) return work(NOOP_HANDLE);
  const span = tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: clean(attributes),
      ...(options.links ? { links: options.links } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
    options.parent ?? context.active(),
  );
  try {
    return await context.with(trace.setSpan(options.parent ?? context.active(), span), () => work(handleOf(span)));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** A span that starts now and is ended by the caller; for work that spans several calls. */
export interface OpenSpan extends SpanHandle {
  /** Runs `work` with this span as the active parent. */
  within<T>(work: () => Promise<T>): Promise<T>;
  end(attributes?: SpanAttributes): void;
  readonly ended: boolean;
}

const NOOP_OPEN: OpenSpan = {
  ...NOOP_HANDLE,
  within: (work) => work(),
  end() {},
  ended: true,
};

export function openSpan(name: string, attributes?: SpanAttributes, options: TracedOptions = {}): OpenSpan {
  if (!active) return NOOP_OPEN;
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: clean(attributes),
      ...(options.links ? { links: options.links } : {}),
      ...(options.startTime !== undefined ? { startTime: options.startTime } : {}),
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  let ended = false;
  const handle: OpenSpanWithContext = {
    context: spanContext,
    ...handleOf(span),
    within: (work) => context.with(spanContext, work),
    end(endAttributes) {
      if (ended) return;
      ended = true;
      if (endAttributes) span.setAttributes(clean(endAttributes));
      span.end();
    },
    get ended() {
      return ended;
    },
  };
  return handle;
}

/** Records a span that already happened (e.g. an approval's wait, known once decided). */
export function recordSpan(
  name: string,
  attributes: SpanAttributes,
  times: { start: TimeInput; end: TimeInput },
  options: Omit<TracedOptions, "startTime"> = {},
): void {
  if (!active) return;
  const span = tracer().startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: clean(attributes),
      startTime: times.start,
      ...(options.links ? { links: options.links } : {}),
    },
    options.parent ?? context.active(),
  );
  span.end(times.end);
}

const propagator = new W3CTraceContextPropagator();
const carrierSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};
const carrierGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

/** The active span's W3C `traceparent`, or null when there is none (tracing off). */
export function currentTraceparent(): string | null {
  if (!active) return null;
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, carrierSetter);
  return carrier.traceparent ?? null;
}

/** A context whose parent is the stored `traceparent` (a remote parent: another process, maybe days ago). */
export function contextFromTraceparent(traceparent: string | null | undefined): Context | undefined {
  if (!active || !traceparent) return undefined;
  const extracted = propagator.extract(ROOT_CONTEXT, { traceparent }, carrierGetter);
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** A link to the active span (e.g. from a run's trace back to the reviewer's request). */
export function linkToActiveSpan(attributes?: SpanAttributes): Link[] {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext ? [{ context: spanContext, ...(attributes ? { attributes: clean(attributes) } : {}) }] : [];
}

/** The active span's ids, for log lines. */
export function activeSpanIds(): { traceId: string; spanId: string } | null {
  if (!active) return null;
  const spanContext = trace.getSpanContext(context.active());
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : null;
}

/**
 * Registers the released values of the run whose span is active: every span of its
 * trace is masked with them as it ends. The set is live (the engine adds to it).
 */
export function maskTraceWith(sensitive: ReadonlySet<string>): void {
  const ids = activeSpanIds();
  if (ids) sensitiveByTrace.set(ids.traceId, sensitive);
}

export function forgetTraceMask(traceId: string): void {
  sensitiveByTrace.delete(traceId);
}

/**
 * Makes the span active for the rest of the calling async function: children started
 * from here on (awaited or not) nest under it. The caller's caller is not affected.
 */
export function enterSpan(span: OpenSpan): void {
  if (!active || !(span as OpenSpanWithContext).context) return;
  active.contextManager.enter((span as OpenSpanWithContext).context as Context);
}

interface OpenSpanWithContext extends OpenSpan {
  context?: Context;
}

/** The context in which the span is the parent (undefined with tracing off). */
export function contextOf(span: OpenSpan): Context | undefined {
  return (span as OpenSpanWithContext).context;
}

/** The span's W3C `traceparent` (null with tracing off). */
export function traceparentOf(span: OpenSpan): string | null {
  const spanContext = contextOf(span);
  if (!spanContext) return null;
  const carrier: Record<string, string> = {};
  propagator.inject(spanContext, carrier, carrierSetter);
  return carrier.traceparent ?? null;
}

/** The trace id of the span (null with tracing off). */
export function traceIdOf(span: OpenSpan): string | null {
  const spanContext = contextOf(span);
  return spanContext ? (trace.getSpanContext(spanContext)?.traceId ?? null) : null;
}

export { SpanKind };
