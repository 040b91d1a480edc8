/**
 * A run's events as an async stream: everything after a sequence number from the
 * database, then live as NOTIFY says more were committed. Ends after the run's terminal
 * status event. Resuming from the last seen sequence number gives no gap and no repeat.
 *
 * When the server stops, closeRunStreams() ends every stream cleanly: each delivers what
 * was committed up to then (the events of runs its worker handed back during the grace,
 * a COMPLETED among them) and then ends with a `server:stopping` error, on which the
 * client reconnects — to another instance — from its last event id.
 */
import { listenFor, onConnectionLost, onReconnect } from "../db/notifications";
import { listRunEvents, RUN_EVENTS_CHANNEL } from "../db/run-events";
import { AirlockError } from "../errors";
import { type RunEventRecord, TERMINAL_RUN_STATUSES } from "../shared/run-events";
import { metrics } from "../telemetry/metrics";

const PAGE = 500;
const SAFETY_POLL_MS = 15_000;

interface OpenStream {
  close(): void;
  done: Promise<void>;
}

const openStreams = new Set<OpenStream>();
let closingAll = false;

/**
 * Ends every open stream after it has delivered every event committed so far; resolves
 * when they have ended, or after `timeoutMs`. Streams opened afterwards end the same way.
 */
export async function closeRunStreams(timeoutMs = 2_000): Promise<void> {
  closingAll = true;
  const streams = [...openStreams];
  for (const stream of streams) stream.close();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(streams.map((stream) => stream.done)),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

export function openRunStreamCount(): number {
  return openStreams.size;
}

export async function* streamRunEvents(options: {
  runId: string;
  afterSeq: number;
  signal?: AbortSignal;
}): AsyncGenerator<RunEventRecord> {
  let version = 0;
  let wake: (() => void) | undefined;
  const bump = () => {
    version++;
    wake?.();
  };
  const unlisten = await listenFor(RUN_EVENTS_CHANNEL, options.runId, bump);
  const unreconnect = onReconnect(bump);
  // A live stream that silently stalls is worse than one that says so: the subscriber is
  // told, and resumes from its last event id once the database is back.
  let lost: string | undefined;
  const unlost = onConnectionLost((reason) => {
    lost = reason;
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  metrics.eventStreamSubscribers.inc();
  let closing = closingAll;
  let ended!: () => void;
  const stream: OpenStream = {
    close() {
      closing = true;
      wake?.();
    },
    done: new Promise<void>((resolve) => {
      ended = resolve;
    }),
  };
  openStreams.add(stream);
  try {
    let after = options.afterSeq;
    while (!options.signal?.aborted) {
      // The driver's reason names the database's address: the subscriber gets our words only.
      if (lost) throw new AirlockError("database:unavailable", "Lost the connection to the database; reconnecting.");
      const seen = version;
      // Read after the close was asked for: it sees everything committed before it.
      const last = closing;
      const events = await listRunEvents(options.runId, after, PAGE);
      for (const event of events) {
        yield event;
        after = event.seq;
        if (event.data.type === "run-status" && TERMINAL_RUN_STATUSES.has(event.data.status)) return;
      }
      if (events.length === PAGE) continue;
      if (last) throw new AirlockError("server:stopping", "This server is stopping; reconnect to continue the stream.");
      if (closing) continue;
      if (version !== seen) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SAFETY_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    metrics.eventStreamSubscribers.dec();
    openStreams.delete(stream);
    ended();
    unlisten();
    unreconnect();
    unlost();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
