/** A collector's OTLP/HTTP endpoint in the bench's own process (bench:engine, profile-tracing). */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const SPAN_ID = Buffer.from('"spanId"');

/** Occurrences of `"spanId"` in an OTLP/JSON export: its spans and their links. */
function countJsonSpans(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(SPAN_ID); at !== -1; at = body.indexOf(SPAN_ID, at + SPAN_ID.length)) count++;
  return count;
}

/** Length-delimited fields numbered `field` in a protobuf message, as [start, end) ranges. */
function* submessages(body: Buffer, start: number, end: number, field: number): Generator<[number, number]> {
  let at = start;
  const varint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = body[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (at < end) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else {
      const length = varint();
      if (Math.floor(tag / 8) === field) yield [at, at + length];
      at += length;
    }
  }
}

/** Spans in an OTLP/protobuf export: resource_spans (1) → scope_spans (2) → spans (2), skipped over, not decoded. */
function countProtobufSpans(body: Buffer): number {
  let count = 0;
  for (const [resourceStart, resourceEnd] of submessages(body, 0, body.length, 1))
    for (const [scopeStart, scopeEnd] of submessages(body, resourceStart, resourceEnd, 2))
      for (const _ of submessages(body, scopeStart, scopeEnd, 2)) count++;
  return count;
}

/**
 * Takes each export (OTLP/HTTP, protobuf or JSON), counts its spans and answers 200, as a
 * collector would. It walks the raw bytes instead of decoding them: the receiver's own
 * work runs in the measured process, and a real collector's would not.
 */
export async function startSpanReceiver() {
  let spans = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      if (request.headers["content-type"]?.startsWith("application/x-protobuf")) {
        spans += countProtobufSpans(body);
        response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      } else {
        spans += countJsonSpans(body);
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans: () => spans,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
