/** A collector's OTLP/HTTP endpoint in the bench's own process (bench:engine, profile-tracing). */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { countProtobufSpans } from "../../server/testing/otlp-receiver";

const SPAN_ID = Buffer.from('"spanId"');

/** Occurrences of `"spanId"` in an OTLP/JSON export: its spans and their links. */
function countJsonSpans(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(SPAN_ID); at !== -1; at = body.indexOf(SPAN_ID, at + SPAN_ID.length)) count++;
  return count;
}

/**
 * Takes each export (OTLP/HTTP, protobuf or JSON), counts its spans and answers 200, as a
 * collector would. It walks the raw bytes down to the spans instead of decoding them: the receiver's own
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
