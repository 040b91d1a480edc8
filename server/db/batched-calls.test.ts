import { describe, expect, it } from "vitest";
import { type BatchOutcome, batchedCalls } from "./batched-calls";

type Finish = (outcomes?: BatchOutcome<string>[], error?: unknown) => void;

/** A batcher whose batches (a lone call as a batch of one) are recorded and finish when the test says so. */
function recordingBatcher(options: {
  maxInFlight: number;
  maxBatch: number;
  retryAlone?: (error: unknown) => boolean;
}) {
  const batches: { items: number[]; finish: Finish }[] = [];
  const record = (items: number[]) =>
    new Promise<BatchOutcome<string>[]>((resolve, reject) => {
      batches.push({
        items,
        finish: (outcomes, error) =>
          error ? reject(error) : resolve(outcomes ?? items.map((item) => ({ value: `done ${item}` }))),
      });
    });
  const call = batchedCalls<number, string>({
    ...options,
    async one(item) {
      const [outcome] = await record([item]);
      if (!outcome) throw new Error("no outcome");
      if ("error" in outcome) throw outcome.error;
      return outcome.value;
    },
    many: record,
  });
  return { call, batches };
}

/** Two turns of the event loop: a finished batch's successor is sent on the turn after it settles. */
const turn = async () => {
  for (let index = 0; index < 2; index++) await new Promise((resolve) => setImmediate(resolve));
};

describe("batched calls", () => {
  it("a lone call goes out at once, alone", async () => {
    const { call, batches } = recordingBatcher({ maxInFlight: 1, maxBatch: 10 });
    const result = call(1);
    await turn();
    expect(batches.map((batch) => batch.items)).toEqual([[1]]);
    batches[0]?.finish();
    await expect(result).resolves.toBe("done 1");
  });

  it("calls made while a batch is out go together in the next, each getting its own result", async () => {
    const { call, batches } = recordingBatcher({ maxInFlight: 1, maxBatch: 10 });
    const first = call(1);
    await turn();
    const later = [2, 3, 4].map((item) => call(item));
    await turn();
    expect(batches).toHaveLength(1);
    batches[0]?.finish();
    await first;
    await turn();
    expect(batches.map((batch) => batch.items)).toEqual([[1], [2, 3, 4]]);
    batches[1]?.finish();
    await expect(Promise.all(later)).resolves.toEqual(["done 2", "done 3", "done 4"]);
  });

  it("never more batches out than maxInFlight, never more items in one than maxBatch", async () => {
    const { call, batches } = recordingBatcher({ maxInFlight: 2, maxBatch: 3 });
    const results = Array.from({ length: 8 }, (_, item) => call(item));
    await turn();
    expect(batches.map((batch) => batch.items)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    batches[0]?.finish();
    await turn();
    expect(batches.map((batch) => batch.items)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    batches[1]?.finish();
    batches[2]?.finish();
    await expect(Promise.all(results)).resolves.toHaveLength(8);
  });

  it("one item's error fails that call only; a failed batch fails its own calls only", async () => {
    const { call, batches } = recordingBatcher({ maxInFlight: 1, maxBatch: 2 });
    const [a, b, c] = [call(1), call(2), call(3)];
    await turn();
    batches[0]?.finish([{ value: "fine" }, { error: new Error("item 2 refused") }]);
    await expect(a).resolves.toBe("fine");
    await expect(b).rejects.toThrow("item 2 refused");
    await turn();
    batches[1]?.finish(undefined, new Error("connection lost"));
    await expect(c).rejects.toThrow("connection lost");
    // The batcher goes on after a failed batch.
    const d = call(4);
    await turn();
    batches[2]?.finish();
    await expect(d).resolves.toBe("done 4");
  });

  it("a batch that answers for fewer items than it was given fails the rest, not silently", async () => {
    const { call, batches } = recordingBatcher({ maxInFlight: 1, maxBatch: 5 });
    const [a, b] = [call(1), call(2)];
    await turn();
    batches[0]?.finish([{ value: "only one" }]);
    await expect(a).resolves.toBe("only one");
    await expect(b).rejects.toThrow("no outcome");
  });

  it("a batch that took no effect (retryAlone) is made again call by call, each answering for itself", async () => {
    const refused = new Error("refused: nothing written");
    const { call, batches } = recordingBatcher({
      maxInFlight: 1,
      maxBatch: 5,
      retryAlone: (error) => error === refused,
    });
    const [a, b] = [call(1), call(2)];
    await turn();
    batches[0]?.finish(undefined, refused);
    await turn();
    expect(batches.map((batch) => batch.items)).toEqual([[1, 2], [1], [2]]);
    batches[1]?.finish();
    batches[2]?.finish([{ error: new Error("item 2 is bad") }]);
    await expect(a).resolves.toBe("done 1");
    await expect(b).rejects.toThrow("item 2 is bad");
  });
});
