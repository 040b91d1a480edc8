/**
 * A run's events as Server-Sent Events: `id:` is the event's sequence number, `event:` its
 * type, `data:` its JSON — the same events, in the same order, as the chat's tRPC stream
 * (agent/run-stream.ts), so resuming with `Last-Event-ID` gives no gap and no repeat. The
 * stream ends after the run's terminal status. A comment line every PING_MS keeps proxies
 * from closing an idle stream, and the caller's token is checked again each time: a
 * revoked or expired token, or a deactivated user, ends the stream with an `error` event.
 * When the server stops, the stream ends with an `error` event `server:stopping`; the
 * client reconnects (to any instance) with its last event id.
 */
import { streamRunEvents } from "../agent/run-stream";
import { AirlockError } from "../errors";
import { logger } from "../telemetry/logger";

const PING_MS = 15_000;
/** What EventSource waits before reconnecting after a dropped connection. */
const RETRY_MS = 1_000;

export const EVENT_STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  "x-accel-buffering": "no",
} as const;

function frame(fields: { id?: number; event: string; data: unknown }): string {
  const id = fields.id === undefined ? "" : `id: ${fields.id}\n`;
  return `${id}event: ${fields.event}\ndata: ${JSON.stringify(fields.data)}\n\n`;
}

export function runEventStreamResponse(options: {
  runId: string;
  afterSeq: number;
  signal: AbortSignal;
  recheck: () => Promise<boolean>;
}): Response {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal.addEventListener("abort", onAbort, { once: true });
  const encoder = new TextEncoder();
  let timer: NodeJS.Timeout | undefined;

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (text: string) => {
        if (stop.signal.aborted) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop.abort(); // the client cancelled the body
        }
      };
      timer = setInterval(() => {
        write(": ping\n\n");
        options.recheck().then(
          (valid) => {
            if (valid || stop.signal.aborted) return;
            write(
              frame({
                event: "error",
                data: { code: "token:invalid", message: "Your API token is no longer valid; the stream ended." },
              }),
            );
            stop.abort();
          },
          () => undefined,
        );
      }, PING_MS);
      write(`retry: ${RETRY_MS}\n\n`);
      try {
        for await (const event of streamRunEvents({
          runId: options.runId,
          afterSeq: options.afterSeq,
          signal: stop.signal,
        })) {
          write(frame({ id: event.seq, event: event.data.type, data: event.data }));
        }
      } catch (error) {
        if (error instanceof AirlockError) {
          write(frame({ event: "error", data: { code: error.code, message: error.message } }));
        } else {
          logger.error("run event stream failed", { runId: options.runId, error });
          write(frame({ event: "error", data: { code: "server:error", message: "The stream failed; reconnect." } }));
        }
      } finally {
        clearInterval(timer);
        options.signal.removeEventListener("abort", onAbort);
        try {
          controller.close();
        } catch {
          // Already cancelled by the client.
        }
      }
    },
    cancel() {
      clearInterval(timer);
      stop.abort();
    },
  });
  return new Response(body, { status: 200, headers: EVENT_STREAM_HEADERS });
}
