/**
 * A collector's OTLP/HTTP traces endpoint for tests: decodes what exporters send in
 * either encoding (`application/x-protobuf`, the default, or `application/json`) into one
 * plain shape, and keeps the raw bodies so a test can search them for secrets.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One span as a test compares it, whatever the encoding or the source. */
export interface SeenSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  statusMessage: string | undefined;
  links: { traceId: string; spanId: string }[];
  events: string[];
}

// --- OTLP/JSON ---------------------------------------------------------------------

type JsonValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: JsonValue[] };
};

interface JsonSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: { key: string; value: JsonValue }[];
  status?: { message?: string };
  links?: { traceId: string; spanId: string }[];
  events?: { name: string; attributes?: { key: string; value: JsonValue }[] }[];
}

function jsonValue(value: JsonValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(jsonValue);
  return undefined;
}

function jsonAttributes(list: { key: string; value: JsonValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((item) => [item.key, jsonValue(item.value)]));
}

function decodeJson(body: Buffer): SeenSpan[] {
  const payload = JSON.parse(body.toString("utf8")) as { resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[] };
  return payload.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        name: span.name,
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        attributes: jsonAttributes(span.attributes),
        statusMessage: span.status?.message,
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        events: (span.events ?? []).map((event) =>
          JSON.stringify({ name: event.name, attributes: jsonAttributes(event.attributes) }),
        ),
      })),
    ),
  );
}

// --- OTLP/protobuf: a reader for the fields of opentelemetry/proto/trace/v1 used here ---

/** One field of a protobuf message: its number and its value (a number or the bytes). */
type Field = { number: number; value: number | Buffer };

function* fields(message: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = message[at++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  };
  while (at < message.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        yield { number, value: varint() };
        break;
      case 1:
        yield { number, value: message.subarray(at, at + 8) };
        at += 8;
        break;
      case 2: {
        const length = varint();
        yield { number, value: message.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        yield { number, value: message.subarray(at, at + 4) };
        at += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7}`);
    }
  }
}

function bytesOf(message: Buffer, number: number): Buffer[] {
  const found: Buffer[] = [];
  for (const field of fields(message))
    if (field.number === number && Buffer.isBuffer(field.value)) found.push(field.value);
  return found;
}

/** AnyValue: 1 string, 2 bool, 3 int, 4 double, 5 array. */
function protobufValue(message: Buffer): unknown {
  for (const field of fields(message)) {
    if (field.number === 1) return (field.value as Buffer).toString("utf8");
    if (field.number === 2) return field.value === 1;
    if (field.number === 3) return field.value;
    if (field.number === 4) return (field.value as Buffer).readDoubleLE(0);
    if (field.number === 5) return bytesOf(field.value as Buffer, 1).map(protobufValue);
  }
  return undefined;
}

/** Repeated KeyValue (1 key, 2 value) under field `number`. */
function protobufAttributes(message: Buffer, number: number): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const pair of bytesOf(message, number)) {
    const [key] = bytesOf(pair, 1);
    const [value] = bytesOf(pair, 2);
    if (key) attributes[key.toString("utf8")] = value ? protobufValue(value) : undefined;
  }
  return attributes;
}

const hex = (bytes: Buffer | undefined) => bytes?.toString("hex") || undefined;
const text = (bytes: Buffer | undefined) => bytes?.toString("utf8");

/** Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 9 attributes, 11 events, 13 links, 15 status. */
function protobufSpan(span: Buffer): SeenSpan {
  const one = (number: number) => bytesOf(span, number)[0];
  const status = one(15);
  return {
    name: text(one(5)) ?? "",
    traceId: hex(one(1)) ?? "",
    spanId: hex(one(2)) ?? "",
    parentSpanId: hex(one(4)),
    attributes: protobufAttributes(span, 9),
    statusMessage: status ? text(bytesOf(status, 2)[0]) : undefined,
    links: bytesOf(span, 13).map((link) => ({
      traceId: hex(bytesOf(link, 1)[0]) ?? "",
      spanId: hex(bytesOf(link, 2)[0]) ?? "",
    })),
    events: bytesOf(span, 11).map((event) =>
      JSON.stringify({ name: text(bytesOf(event, 2)[0]), attributes: protobufAttributes(event, 3) }),
    ),
  };
}

/** ExportTraceServiceRequest: 1 resource_spans → 2 scope_spans → 2 spans, each still encoded. */
function encodedSpans(body: Buffer): Buffer[] {
  return bytesOf(body, 1).flatMap((resource) => bytesOf(resource, 2).flatMap((scope) => bytesOf(scope, 2)));
}

function decodeProtobuf(body: Buffer): SeenSpan[] {
  return encodedSpans(body).map(protobufSpan);
}

/** How many spans an OTLP/protobuf export holds, without decoding them (bench/lib/span-receiver.ts). */
export function countProtobufSpans(body: Buffer): number {
  return encodedSpans(body).length;
}

export interface OtlpReceiver {
  server: Server;
  /** The collector's base URL (the exporter appends `/v1/traces`). */
  url: string;
  spans: SeenSpan[];
  /** Every body as received (protobuf's strings are plain UTF-8 in it), for secret searches. */
  bodies: string[];
  /** The content types the exports came with. */
  contentTypes: string[];
  stop(): Promise<void>;
}

export function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: SeenSpan[] = [];
  const bodies: string[] = [];
  const contentTypes: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on("end", () => {
      if (request.url !== "/v1/traces" || request.method !== "POST") {
        response.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const type = request.headers["content-type"] ?? "";
      bodies.push(body.toString("utf8"));
      contentTypes.push(type);
      if (type.startsWith("application/x-protobuf")) {
        spans.push(...decodeProtobuf(body));
        // An empty ExportTraceServiceResponse is zero bytes.
        response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } else {
        spans.push(...decodeJson(body));
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        spans,
        bodies,
        contentTypes,
        stop: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}
