/**
 * Writes a run's events, in order, and carries other writes that may wait a moment.
 * Text deltas are coalesced for a few milliseconds so a fast model does not cost one
 * INSERT per token, except the first delta of a step, which goes out almost at once (time
 * to first token). Deferred events and writes ride along with the next write — often
 * the step's own commit, which takes them (take()) — so a fast step costs one round trip.
 * A model call streams through maskedStepWriter, which hides released values from the
 * stored text and reports what the model has said so far.
 */
import { applyRunWrite, emptyRunWrite, isEmptyRunWrite, mergeRunWrites, type RunWrite } from "../db/run-write";
import type { RunEventData } from "../shared/run-events";
import { createStreamMasker } from "../shared/sensitive-values";

export interface EventWriter {
  /** `at`: where in the step's text the delta starts, when the caller knows (stored with it). */
  textDelta(stepIndex: number, text: string, at?: number): void;
  /** Buffers an event until the next write, or until the step's commit takes it. */
  defer(event: RunEventData): void;
  /**
   * Buffers a write (with its events) to be stored within maxDelayMs, or sooner with
   * whatever is written next — the next step's commit, when the model is fast.
   */
  deferWrite(write: RunWrite, maxDelayMs: number): void;
  /** Hands over everything not yet written, after waiting for writes in flight. */
  take(): Promise<RunWrite>;
  flush(): Promise<void>;
  /**
   * Stops the writer for good: a write scheduled but not begun is dropped, one in flight
   * is waited for, and whatever arrives later (a model stream still draining) is ignored.
   * The engine closes it before executeRun returns, so no write of this attempt lands
   * after it, under a lease the same worker may claim again (after INTERRUPTED).
   */
  close(): Promise<void>;
}

const FIRST_DELTA_MS = 2;
/**
 * How long later text deltas of a step are coalesced. Short: while a write is in flight,
 * what arrives meanwhile waits for it and goes out in the next write, so a slow database
 * (or many streams) makes writes bigger rather than tokens later by a fixed window.
 */
const TEXT_FLUSH_MS = 2;

export function createEventWriter(run: { runId: string; workerId: string; conversationId: string }): EventWriter {
  let buffered: RunEventData[] = [];
  let deferred: RunWrite = emptyRunWrite();
  let pendingText: { stepIndex: number; text: string; at?: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Number.POSITIVE_INFINITY;
  const stepsWithText = new Set<number>();
  // Writes are chained so events keep their order, and each takes what is pending when its
  // turn comes (not when it was asked for): what arrived during the write before goes too.
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  let closed = false;

  /** Ends the text being gathered, so events after it stay after it. */
  const sealText = () => {
    if (pendingText) {
      const { stepIndex, text, at } = pendingText;
      buffered.push(
        at === undefined ? { type: "text-delta", stepIndex, text } : { type: "text-delta", stepIndex, text, at },
      );
    }
    pendingText = undefined;
  };

  const drain = (): RunWrite => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    timerDue = Number.POSITIVE_INFINITY;
    sealText();
    const events = buffered;
    buffered = [];
    const taken = { ...deferred, events };
    deferred = emptyRunWrite();
    return taken;
  };

  const write = () => {
    chain = chain.then(async () => {
      if (failure || closed) return;
      const pending = drain();
      if (isEmptyRunWrite(pending)) return;
      try {
        await applyRunWrite(run, pending);
      } catch (error) {
        failure = error;
      }
    });
    return chain;
  };

  const schedule = (delayMs: number) => {
    if (closed) return;
    const due = Date.now() + delayMs;
    if (timer && due >= timerDue) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => write(), delayMs);
  };

  const settled = async () => {
    await chain;
    if (failure) throw failure;
  };

  return {
    textDelta(stepIndex, text, at) {
      if (closed) return;
      // Coalesced deltas keep the first one's position: only a delta that continues it joins.
      const continues =
        pendingText?.stepIndex === stepIndex &&
        (at === undefined || pendingText.at === undefined || at === pendingText.at + pendingText.text.length);
      if (pendingText && !continues) sealText();
      pendingText = pendingText ? { ...pendingText, text: pendingText.text + text } : { stepIndex, text, at };
      const first = !stepsWithText.has(stepIndex);
      stepsWithText.add(stepIndex);
      schedule(first ? FIRST_DELTA_MS : TEXT_FLUSH_MS);
    },
    defer(event) {
      if (closed) return;
      if (event.type === "step-started") stepsWithText.delete(event.stepIndex);
      sealText();
      buffered.push(event);
    },
    deferWrite(pending, maxDelayMs) {
      if (closed) return;
      sealText();
      deferred = mergeRunWrites(deferred, { ...pending, events: [] });
      buffered.push(...pending.events);
      schedule(maxDelayMs);
    },
    async take() {
      await settled();
      return drain();
    },
    async flush() {
      write();
      await settled();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      // The chain never rejects (a failed write is kept in `failure`): this waits, it does not throw.
      await chain;
    },
  };
}

/**
 * The writer one model call streams through. Text that repeats a released sensitive
 * value is stored with it hidden (a value split across deltas too: the masker holds back
 * what could still become one); `onText` hears the step's text so far, unmasked, so a
 * cancel can keep it. `end` writes what the masker still held once the call is over.
 */
export function maskedStepWriter(
  writer: EventWriter,
  options: {
    released: ReadonlySet<string>;
    onText: (text: string) => void;
    /** The step's text as its viewers hold it (a resumed step's earlier text); kept on cancel. */
    shown?: () => string;
  },
): EventWriter & { end(stepIndex: number): void } {
  const { released } = options;
  const shown = options.shown ?? (() => "");
  let text = "";
  let masker = createStreamMasker(() => released);
  return {
    ...writer,
    defer(event) {
      // A retried model call starts the step's text over (as the live view does), so
      // a cancel keeps only what the current attempt said, not the cut attempt too.
      if (event.type === "step-started") {
        text = "";
        // A cancel keeps what the viewers see: a resumed step shows its earlier text.
        options.onText(shown());
        masker = createStreamMasker(() => released);
      }
      writer.defer(event);
    },
    textDelta(stepIndex, delta) {
      text += delta;
      options.onText(text.length >= shown().length ? text : shown());
      const visible = released.size > 0 ? masker.push(delta) : delta;
      if (visible) writer.textDelta(stepIndex, visible);
    },
    end(stepIndex) {
      const rest = masker.flush();
      if (rest) writer.textDelta(stepIndex, rest);
    },
  };
}
