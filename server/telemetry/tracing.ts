/**
 * OpenTelemetry tracing: the tracer provider (OTLP/HTTP export when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set), the one helper every instrumented place uses
 * (`traced`), and the guarantee that nothing sensitive leaves in a span (invariant 4):
 * every span passes a masking step before any exporter sees it.
 *
 * Without a started provider every helper here returns at once without allocating a
 * span or a context, so tracing costs next to nothing when it is off. With one, a span
 * under a sampled parent is a light span (light-span.ts: the engine's five spans per
 * step); the SDK's tracer starts the rest (roots, links, given start times).
 */

import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  context,
  createContextKey,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { type InstrumentationScope, isTracingSuppressed, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as OtlpJsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OtlpProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
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
import { type CompiledMask, compileMask, maskDeep, maskSensitive } from "../shared/sensitive-values";
import {
  failureOf,
  keepDefined,
  LightSpan,
  type LightSpanSink,
  type SpanAttributes,
  type SpanHandle,
} from "./light-span";

export type { SpanAttributes, SpanHandle } from "./light-span";

export const TRACER_NAME = "airlock";
export const REDACTED_ATTRIBUTE = "[redacted]";
/** String attributes under keys like these never leave (counts such as `*_tokens` are numbers and stay). */
const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;

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
    // No closure per call: the engine starts several spans per step.
    return thisArg === undefined
      ? this.storage.run(context, fn, ...args)
      : this.storage.run(context, () => fn.apply(thisArg, args));
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

/** The started provider, and what light spans need of it (they skip the SDK's tracer). */
/** The API's own key for the active span (a `Symbol.for`, so every copy of the API shares it). */
const SPAN_KEY = createContextKey("OpenTelemetry Context Key SPAN");

/**
 * A context that adds one entry to its base, instead of the API's BaseContext (a copied
 * Map and three closures per context): the engine makes two contexts per step. Setting
 * the key of the newest entry replaces it, so a chain grows only with the nesting.
 */
class EntryContext implements Context {
  constructor(
    private readonly base: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}
  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.base.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return new EntryContext(key === this.key ? this.base : this, key, value);
  }
  deleteValue(key: symbol): Context {
    return this.setValue(key, undefined);
  }
}

/** `parent` with `span` as its active span: what `trace.setSpan` gives, one small object. */
function withSpan(parent: Context, span: Span): Context {
  return parent instanceof EntryContext ? parent.setValue(SPAN_KEY, span) : new EntryContext(parent, SPAN_KEY, span);
}

interface Tracing extends LightSpanSink {
  provider: TracerProvider;
  tracer: Tracer;
  contextManager: EngineContextManager;
  /** The sampler follows the parent's decision (every parentbased_* and the default): children may be light spans. */
  parentBased: boolean;
}

let active: Tracing | null = null;

/**
 * A run's released sensitive values, compiled into the forms the masker searches for
 * once per growth of the set (it only grows during a run), not once per string.
 */
class TraceMask {
  private compiled: CompiledMask | null = null;
  private compiledSize = -1;
  constructor(readonly values: ReadonlySet<string>) {}
  /** The compiled mask, or null while nothing was released (then there is nothing to hide). */
  current(): CompiledMask | null {
    if (this.values.size === 0) return null;
    if (this.values.size !== this.compiledSize) {
      this.compiled = compileMask(this.values);
      this.compiledSize = this.values.size;
    }
    return this.compiled;
  }
}

/**
 * Released sensitive values per trace id: the engine registers its run's set (the same
 * live set it masks events and logs with), the masking step reads it as each span ends.
 */
const sensitiveByTrace = new Map<string, TraceMask>();

export function tracingActive(): boolean {
  return active !== null;
}

/** Attribute keys seen so far and whether they look secret: a bounded set, named in code. */
const secretKeys = new Map<string, boolean>();
const SECRET_KEY_CACHE_LIMIT = 1_000;

function isSecretKey(key: string): boolean {
  const known = secretKeys.get(key);
  if (known !== undefined) return known;
  const secret = SECRET_KEY.test(key);
  if (secretKeys.size < SECRET_KEY_CACHE_LIMIT) secretKeys.set(key, secret);
  return secret;
}

/** Hides, in one string, what may never leave: the run's released values. */
function maskText(text: string, mask: CompiledMask | null): string {
  return mask ? maskSensitive(text, mask) : text;
}

/** One attribute as it may leave: secret-looking keys redacted, released values hidden. */
function maskValue(key: string, value: AttributeValue, mask: CompiledMask | null): AttributeValue {
  if (isSecretKey(key) && (typeof value === "string" || Array.isArray(value))) return REDACTED_ATTRIBUTE;
  if (!mask) return value;
  if (typeof value === "string") return maskSensitive(value, mask);
  if (Array.isArray(value)) return maskDeep(value, mask) as AttributeValue;
  return value;
}

/**
 * The attributes as they may leave. The same object when nothing in it needs hiding (the
 * common case: no secret-looking key, nothing released), so a span is copied only when
 * masking changes it.
 */
function maskAttributeSet(attributes: Attributes, mask: CompiledMask | null): Attributes {
  let masked: Attributes | null = null;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) {
      masked ??= { ...attributes };
      delete masked[key];
      continue;
    }
    const leaving = maskValue(key, value, mask);
    if (leaving !== value) {
      masked ??= { ...attributes };
      masked[key] = leaving;
    }
  }
  return masked ?? attributes;
}

/**
 * The span as exporters may see it: attributes, events, links, name and status masked.
 * The span itself when masking changes nothing, a masked copy otherwise.
 */
export function maskSpan(span: ReadableSpan): ReadableSpan {
  const mask = sensitiveByTrace.get(span.spanContext().traceId)?.current() ?? null;
  const name = maskText(span.name, mask);
  const message = span.status.message === undefined ? undefined : maskText(span.status.message, mask);
  const attributes = maskAttributeSet(span.attributes, mask);
  let linksChanged = false;
  const links = span.links.map((link) => {
    const linkAttributes = link.attributes ? maskAttributeSet(link.attributes, mask) : undefined;
    if (linkAttributes === link.attributes) return link;
    linksChanged = true;
    return { ...link, attributes: linkAttributes };
  });
  let eventsChanged = false;
  const events = span.events.map((event) => {
    const eventName = maskText(event.name, mask);
    const eventAttributes = event.attributes ? maskAttributeSet(event.attributes, mask) : undefined;
    if (eventName === event.name && eventAttributes === event.attributes) return event;
    eventsChanged = true;
    return { ...event, name: eventName, ...(eventAttributes ? { attributes: eventAttributes } : {}) };
  });
  const unchanged =
    name === span.name &&
    message === span.status.message &&
    attributes === span.attributes &&
    !linksChanged &&
    !eventsChanged;
  if (unchanged) return span;
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    ...(span.parentSpanContext ? { parentSpanContext: span.parentSpanContext } : {}),
    startTime: span.startTime,
    endTime: span.endTime,
    status: { code: span.status.code, ...(message !== undefined ? { message } : {}) },
    attributes,
    links,
    events,
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

/** The samplers that decide a child's sampling without its parent's (samplerFrom's fallback is parent-based). */
const PARENT_IGNORING_SAMPLERS = new Set(["always_on", "always_off", "traceidratio"]);

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
    otlpExporter({
      url: endpoint as string,
      headers: { ...config.OTEL_EXPORTER_OTLP_HEADERS, ...config.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
      protocol: config.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? config.OTEL_EXPORTER_OTLP_PROTOCOL,
    });
  const inner = options.simple ? new SimpleSpanProcessor({ exporter }) : new BatchSpanProcessor({ exporter });
  const processor = new MaskingSpanProcessor(inner);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...config.OTEL_RESOURCE_ATTRIBUTES,
      [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME,
      [ATTR_SERVICE_VERSION]: "0.1.0",
    }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerFrom(config.OTEL_TRACES_SAMPLER, config.OTEL_TRACES_SAMPLER_ARG),
    spanProcessors: [processor],
  });
  const contextManager = new EngineContextManager();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const tracer = provider.getTracer(TRACER_NAME);
  active = {
    provider,
    tracer,
    contextManager,
    processor,
    resource,
    // The SDK tracer's scope object itself: the OTLP serializer groups spans by scope identity.
    scope: (tracer as Tracer & { instrumentationScope?: InstrumentationScope }).instrumentationScope ?? {
      name: TRACER_NAME,
    },
    parentBased: !PARENT_IGNORING_SAMPLERS.has(config.OTEL_TRACES_SAMPLER),
  };
  return true;
}

export type OtlpProtocol = "http/protobuf" | "http/json";

/**
 * The OTLP/HTTP exporter for the protocol. Protobuf is the spec's default and the
 * cheaper one for this process: its serializer writes the wire format directly, and the
 * payload is about 40 % of the JSON's (bench/README, "Tracing's cost").
 */
export function otlpExporter(options: { url: string; headers?: Record<string, string>; protocol: OtlpProtocol }) {
  const settings = { url: options.url, headers: options.headers ?? {} };
  return options.protocol === "http/json" ? new OtlpJsonExporter(settings) : new OtlpProtobufExporter(settings);
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

/**
 * The attributes without null values (the SDK drops `undefined` itself but keeps null).
 * The same object when it holds none: the SDK copies what it keeps anyway.
 */
function clean(attributes: SpanAttributes | undefined): Attributes | undefined {
  if (!attributes) return undefined;
  for (const key in attributes) {
    if (attributes[key] === null) return keepDefined(attributes, {});
  }
  return attributes as Attributes;
}

export interface TracedOptions {
  kind?: SpanKind;
  links?: Link[];
  /** The parent: default the active span. */
  parent?: Context;
  startTime?: TimeInput;
  /**
   * The work starts no span of its own (a database round trip, a pure decision): the
   * span is not made the active parent, which saves a context per call. Log lines
   * written inside carry the parent's span id.
   */
  leaf?: boolean;
}

const NOOP_HANDLE: SpanHandle = { recording: false, set() {}, event() {}, fail() {} };

/** An SDK span behind the handle; a class, not a closure per span. */
class SdkSpanHandle implements SpanHandle {
  constructor(readonly span: Span) {}
  get recording(): boolean {
    return this.span.isRecording();
  }
  set(attributes: SpanAttributes): void {
    const cleaned = clean(attributes);
    if (cleaned) this.span.setAttributes(cleaned);
  }
  event(name: string, attributes?: SpanAttributes): void {
    this.span.addEvent(name, clean(attributes));
  }
  fail(error: unknown): void {
    const failure = failureOf(error);
    this.span.setStatus(failure.status);
    this.span.setAttribute("error.type", failure.type);
  }
}

/** A started span and the handle the instrumented code gets for it (a light span is both). */
type StartedSpan = SpanHandle & { readonly span: Span };

/**
 * The sampled parent a span may start under as a light span, or null where only the SDK's
 * span is exact: no parent (the sampler decides a root), a sampler that does not follow
 * the parent, links or a start time given, tracing suppressed. An unsampled parent is
 * returned too: under it the parent-based samplers record nothing.
 */
function lightParent(tracing: Tracing, parent: Context, options: TracedOptions): SpanContext | null {
  if (!tracing.parentBased || options.links || options.startTime !== undefined || isTracingSuppressed(parent)) {
    return null;
  }
  const parentSpan = trace.getSpan(parent);
  const spanContext = parentSpan?.spanContext();
  if (!spanContext) return null;
  // A light span's ids are valid by construction; any other parent is checked as the SDK checks it.
  return parentSpan instanceof LightSpan || trace.isSpanContextValid(spanContext) ? spanContext : null;
}

const sampled = (spanContext: SpanContext) => (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;

function startSpan(
  tracing: Tracing,
  name: string,
  attributes: SpanAttributes | undefined,
  options: TracedOptions,
  parent: Context,
): StartedSpan {
  const parentSpan = lightParent(tracing, parent, options);
  if (parentSpan && sampled(parentSpan)) {
    const span = new LightSpan(name, options.kind ?? SpanKind.INTERNAL, parentSpan, parent, tracing);
    span.set(attributes);
    return span;
  }
  const span = tracing.tracer.startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: clean(attributes),
      links: options.links,
      startTime: options.startTime,
    },
    parent,
  );
  return new SdkSpanHandle(span);
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
  const tracing = active;
  if (!tracing) return work(NOOP_HANDLE);
  const parent = options.parent ?? tracing.contextManager.active();
  if (options.leaf) {
    // A leaf under an unsampled parent is not recorded, and nothing sees its context: skip it.
    const parentSpan = lightParent(tracing, parent, options);
    if (parentSpan && !sampled(parentSpan)) return work(NOOP_HANDLE);
  }
  const started = startSpan(tracing, name, attributes, options, parent);
  try {
    if (options.leaf) return await work(started);
    return await tracing.contextManager.with(withSpan(parent, started.span), work, undefined, started);
  } catch (error) {
    started.fail(error);
    throw error;
  } finally {
    started.span.end();
  }
}

/** A span that starts now and is ended by the caller; for work that spans several calls. */
export interface OpenSpan extends SpanHandle {
  /** Runs `work` with this span as the active parent. */
  within<T>(work: () => Promise<T>): Promise<T>;
  end(attributes?: SpanAttributes): void;
  readonly ended: boolean;
}

/** A span that records nothing: what every helper hands out with tracing off. */
export const NO_SPAN: OpenSpan = {
  ...NOOP_HANDLE,
  within: (work) => work(),
  end() {},
  ended: true,
};

class StartedOpenSpan implements OpenSpan {
  private done = false;
  constructor(
    private readonly started: StartedSpan,
    private readonly tracing: Tracing,
    /** The context in which this span is the parent. */
    readonly context: Context,
  ) {}
  get recording(): boolean {
    return this.started.recording;
  }
  set(attributes: SpanAttributes): void {
    this.started.set(attributes);
  }
  event(name: string, attributes?: SpanAttributes): void {
    this.started.event(name, attributes);
  }
  fail(error: unknown): void {
    this.started.fail(error);
  }
  within<T>(work: () => Promise<T>): Promise<T> {
    return this.tracing.contextManager.with(this.context, work);
  }
  end(attributes?: SpanAttributes): void {
    if (this.done) return;
    this.done = true;
    if (attributes) this.started.set(attributes);
    this.started.span.end();
  }
  get ended(): boolean {
    return this.done;
  }
}

export function openSpan(name: string, attributes?: SpanAttributes, options: TracedOptions = {}): OpenSpan {
  const tracing = active;
  if (!tracing) return NO_SPAN;
  const parent = options.parent ?? tracing.contextManager.active();
  const started = startSpan(tracing, name, attributes, options, parent);
  return new StartedOpenSpan(started, tracing, withSpan(parent, started.span));
}

/** Records a span that already happened (e.g. an approval's wait, known once decided). */
export function recordSpan(
  name: string,
  attributes: SpanAttributes,
  times: { start: TimeInput; end: TimeInput },
  options: Omit<TracedOptions, "startTime"> = {},
): void {
  const tracing = active;
  if (!tracing) return;
  const parent = options.parent ?? tracing.contextManager.active();
  startSpan(tracing, name, attributes, { ...options, startTime: times.start }, parent).span.end(times.end);
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
  // The context manager itself, not the API's global lookup: the logger asks on every line.
  const spanContext = trace.getSpanContext(active.contextManager.active());
  return spanContext ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : null;
}

/**
 * Registers the released values of the run whose span is active: every span of its
 * trace is masked with them as it ends. The set is live (the engine adds to it).
 */
export function maskTraceWith(sensitive: ReadonlySet<string>): void {
  const ids = activeSpanIds();
  if (ids) sensitiveByTrace.set(ids.traceId, new TraceMask(sensitive));
}

export function forgetTraceMask(traceId: string): void {
  sensitiveByTrace.delete(traceId);
}

/**
 * Makes the span active for the rest of the calling async function: children started
 * from here on (awaited or not) nest under it. The caller's caller is not affected.
 */
export function enterSpan(span: OpenSpan): void {
  if (!active || !(span instanceof StartedOpenSpan)) return;
  active.contextManager.enter(span.context);
}

/** The context in which the span is the parent (undefined with tracing off). */
export function contextOf(span: OpenSpan): Context | undefined {
  return span instanceof StartedOpenSpan ? span.context : undefined;
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
