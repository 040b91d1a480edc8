/**
 * Writes a run's events. Text deltas are coalesced for a few milliseconds so a fast model
 * does not cost one INSERT per token; everything else is written at once, in order.
 */
import { appendRunEvents } from "../db/run-events";
import type { RunEventData } from "../shared/run-events";

export interface EventWriter {
  textDelta(stepIndex: number, text: string): void;
  emit(event: RunEventData): Promise<void>;
  flush(): Promise<void>;
}

export function createEventWriter(runId: string, flushIntervalMs = 30): EventWriter {
  let pending: { stepIndex: number; text: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Writes are chained so events keep their order even when a flush is still in flight.
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const enqueue = (events: RunEventData[]) => {
    chain = chain.then(async () => {
      if (failure) return;
      try {
        await appendRunEvents(runId, events);
      } catch (error) {
        failure = error;
      }
    });
    return chain;
  };

  const takePending = (): RunEventData[] => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return [];
    const event: RunEventData = { type: "text-delta", stepIndex: pending.stepIndex, text: pending.text };
    pending = undefined;
    return [event];
  };

  const flush = async () => {
    const events = takePending();
    if (events.length > 0) enqueue(events);
    await chain;
    if (failure) throw failure;
  };

  return {
    textDelta(stepIndex, text) {
      if (pending && pending.stepIndex !== stepIndex) enqueue(takePending());
      pending = pending ? { stepIndex, text: pending.text + text } : { stepIndex, text };
      timer ??= setTimeout(() => {
        const events = takePending();
        if (events.length > 0) enqueue(events);
      }, flushIntervalMs);
    },
    async emit(event) {
      enqueue([...takePending(), event]);
      await chain;
      if (failure) throw failure;
    },
    flush,
  };
}
