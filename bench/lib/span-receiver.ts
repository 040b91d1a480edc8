/** A collector's OTLP/HTTP endpoint in the bench's own process (bench:engine, profile-tracing). */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const SPAN_ID = Buffer.from('"spanId"');

/** Occurrences of `"spanId"` in an OTLP/JSON export: its spans and their links. */
function countSpanIds(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(SPAN_ID); at !== -1; at = body.indexOf(SPAN_ID, at + SPAN_ID.length)) count++;
  return count;
}

/**
 * Takes each export (OTLP/HTTP JSON), counts its spans and answers 200, as a collector
 * would. It searches the raw bytes instead of decoding them: the receiver's own work
 * runs in the measured process, and a real collector's would not.
 */
export async function startSpanReceiver() {
  let spans = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.on("end", () => {
      spans += countSpanIds(Buffer.concat(chunks));
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans: () => spans,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
