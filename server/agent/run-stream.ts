/**
 * A run's events as an async stream: everything after a sequence number from the
 * database, then live as NOTIFY says more were committed. Ends after the run's terminal
 * status event. Resuming from the last seen sequence number gives no gap and no repeat.
 */
import { listen, onConnectionLost, onReconnect } from "../db/notifications";
import { listRunEvents, RUN_EVENTS_CHANNEL } from "../db/run-events";
import { AirlockError } from "../errors";
import { type RunEventRecord, TERMINAL_RUN_STATUSES } from "../shared/run-events";

const PAGE = 500;
const SAFETY_POLL_MS = 15_000;

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
  const unlisten = await listen(RUN_EVENTS_CHANNEL, (payload) => {
    if (payload === options.runId) bump();
  });
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
  try {
    let after = options.afterSeq;
    while (!options.signal?.aborted) {
      // The driver's reason names the database's address: the subscriber gets our words only.
      if (lost) throw new AirlockError("database:unavailable", "Lost the connection to the database; reconnecting.");
      const seen = version;
      const events = await listRunEvents(options.runId, after, PAGE);
      for (const event of events) {
        yield event;
        after = event.seq;
        if (event.data.type === "run-status" && TERMINAL_RUN_STATUSES.has(event.data.status)) return;
      }
      if (events.length === PAGE) continue;
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
    unlisten();
    unreconnect();
    unlost();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
