/**
 * Concurrent calls of one kind, sent together (group commit). A call made while
 * `maxInFlight` batches are out waits, and goes in the next batch with everything else
 * that arrived meanwhile; calls made in the same turn of the event loop go together too.
 * An idle process pays nothing for it (a lone call goes out at once, alone); a busy one
 * pays one round trip, and one commit, per batch instead of one per call, so a thousand
 * streaming runs do not cost a thousand commits per token cadence.
 */

/** What one item of a batch came to. */
export type BatchOutcome<Result> = { value: Result } | { error: unknown };

export interface BatchedCallsOptions<Item, Result> {
  maxInFlight: number;
  maxBatch: number;
  /** A batch of one: the call as it would be made alone. */
  one(item: Item): Promise<Result>;
  /** Several calls at once: one outcome per item, in the items' order; a throw fails every item. */
  many(items: Item[]): Promise<BatchOutcome<Result>[]>;
  /**
   * Whether a failed `many` took no effect at all, so its items may be made again one by
   * one (each then succeeds or fails by itself). Without it, the batch's error is every item's.
   */
  retryAlone?(error: unknown): boolean;
}

interface Waiting<Item, Result> {
  item: Item;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

export function batchedCalls<Item, Result>(
  options: BatchedCallsOptions<Item, Result>,
): (item: Item) => Promise<Result> {
  let queue: Waiting<Item, Result>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const outcomesOf = async (items: Item[]): Promise<BatchOutcome<Result>[]> => {
    if (items.length === 1) return [await outcomeOf(() => options.one(items[0] as Item))];
    try {
      return await options.many(items);
    } catch (error) {
      if (!options.retryAlone?.(error)) throw error;
      return Promise.all(items.map((item) => outcomeOf(() => options.one(item))));
    }
  };

  const send = async (batch: Waiting<Item, Result>[]) => {
    try {
      const outcomes = await outcomesOf(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (!outcome) waiting.reject(new Error("The batch returned no outcome for this call"));
        else if ("error" in outcome) waiting.reject(outcome.error);
        else waiting.resolve(outcome.value);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < options.maxInFlight && queue.length > 0) {
      const batch = queue.length <= options.maxBatch ? queue : queue.slice(0, options.maxBatch);
      queue = queue.length <= options.maxBatch ? [] : queue.slice(options.maxBatch);
      inFlight++;
      void send(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  };

  // The check phase, after this turn's timers and I/O: what they call goes in one batch.
  const schedule = () => {
    if (scheduled || queue.length === 0) return;
    scheduled = true;
    setImmediate(pump);
  };

  return (item) =>
    new Promise<Result>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}

async function outcomeOf<Result>(call: () => Promise<Result>): Promise<BatchOutcome<Result>> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error };
  }
}
