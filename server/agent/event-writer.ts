/**
 * Writes a run's events, in order. Text deltas are coalesced for a few milliseconds so a
 * fast model does not cost one INSERT per token, except the first delta of a step, which
 * goes out almost at once (time to first token). Events that need not be seen before the
 * step is committed can be deferred: the step's commit then carries them in its own
 * transaction (take()), which saves a round trip per step.
 */
import { appendRunEvents } from "../db/run-events";
import type { RunEventData } from "../shared/run-events";

export interface EventWriter {
  textDelta(stepIndex: number, text: string): void;
  /** Writes now (with anything buffered before it) and waits for the write. */
  emit(event: RunEventData): Promise<void>;
  /** Buffers an event until the next write, or until the step's commit takes it. */
  defer(event: RunEventData): void;
  /** Hands over everything not yet written, after waiting for writes in flight. */
  take(): Promise<RunEventData[]>;
  flush(): Promise<void>;
}

const FIRST_DELTA_MS = 2;

export function createEventWriter(runId: string, flushIntervalMs = 30): EventWriter {
  let buffered: RunEventData[] = [];
  let pendingText: { stepIndex: number; text: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stepsWithText = new Set<number>();
  // Writes are chained so events keep their order even when a flush is still in flight.
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;

  const drain = (): RunEventData[] => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const events = buffered;
    buffered = [];
    if (pendingText) events.push({ type: "text-delta", stepIndex: pendingText.stepIndex, text: pendingText.text });
    pendingText = undefined;
    return events;
  };

  const enqueue = (events: RunEventData[]) => {
    if (events.length === 0) return chain;
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

  const settled = async () => {
    await chain;
    if (failure) throw failure;
  };

  return {
    textDelta(stepIndex, text) {
      if (pendingText && pendingText.stepIndex !== stepIndex) enqueue(drain());
      pendingText = pendingText ? { stepIndex, text: pendingText.text + text } : { stepIndex, text };
      const first = !stepsWithText.has(stepIndex);
      stepsWithText.add(stepIndex);
      timer ??= setTimeout(() => enqueue(drain()), first ? FIRST_DELTA_MS : flushIntervalMs);
    },
    async emit(event) {
      enqueue([...drain(), event]);
      await settled();
    },
    defer(event) {
      if (event.type === "step-started") stepsWithText.delete(event.stepIndex);
      if (pendingText) enqueue(drain());
      buffered.push(event);
    },
    async take() {
      const events = drain();
      await settled();
      return events;
    },
    async flush() {
      enqueue(drain());
      await settled();
    },
  };
}
