/**
 * Attributes database round trips to the work that made them: every query, Prisma's
 * included, goes through node-postgres's Client#query (via @prisma/adapter-pg), and an
 * AsyncLocalStorage scope tells whose it is, so queries made at the same time by the
 * worker or a subscriber are not counted. Counting costs one lookup and one increment per
 * query; recording (for the profile script) also reads the clock twice.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";

export interface QueryRecord {
  text: string;
  /** The label of the countRoundTrips scope that sent it; undefined for anyone else's. */
  scope: string | undefined;
  startedAt: number;
  finishedAt: number;
}

interface Tally {
  label: string | undefined;
  queries: number;
}

const scope = new AsyncLocalStorage<Tally>();
let installed = false;
let recording: QueryRecord[] | undefined;

/** Statement text with whitespace collapsed and literals as `?`, as a key; long statements are cut. */
function describe(config: unknown): string {
  const text = typeof config === "string" ? config : ((config as { text?: string } | undefined)?.text ?? "?");
  const flat = text
    .replace(/'(?:[^']|'')*'/g, "?")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 100 ? `${flat.slice(0, 97)}…` : flat;
}

function install(): void {
  if (installed) return;
  installed = true;
  const originalQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
    this: pg.Client,
    ...queryArgs: unknown[]
  ) {
    const tally = scope.getStore();
    if (tally) tally.queries++;
    if (!recording) return originalQuery.apply(this, queryArgs);
    const record: QueryRecord = {
      text: describe(queryArgs[0]),
      scope: tally?.label,
      startedAt: performance.now(),
      finishedAt: Number.NaN,
    };
    recording.push(record);
    const finish = () => {
      record.finishedAt = performance.now();
    };
    // pg.Pool#query calls it with a callback, transactions with a promise: handle both.
    const last = queryArgs.at(-1);
    if (typeof last === "function") {
      queryArgs[queryArgs.length - 1] = (...callbackArgs: unknown[]) => {
        finish();
        return (last as (...args: unknown[]) => unknown)(...callbackArgs);
      };
      return originalQuery.apply(this, queryArgs);
    }
    const result = originalQuery.apply(this, queryArgs);
    if (result instanceof Promise) return result.finally(finish);
    finish();
    return result;
  };
}

/** Runs `work` and returns its result with the number of queries it sent (BEGIN and COMMIT included). */
export async function countRoundTrips<T>(
  work: () => Promise<T>,
  label?: string,
): Promise<{ result: T; queries: number }> {
  install();
  const tally: Tally = { label, queries: 0 };
  const result = await scope.run(tally, work);
  return { result, queries: tally.queries };
}

/** As countRoundTrips, for work that may throw: the count is kept either way. */
export async function countRoundTripsSettled(
  work: () => Promise<unknown>,
  label?: string,
): Promise<{ error: unknown; queries: number }> {
  install();
  const tally: Tally = { label, queries: 0 };
  try {
    await scope.run(tally, work);
    return { error: undefined, queries: tally.queries };
  } catch (error) {
    return { error, queries: tally.queries };
  }
}

/** Records every query (anyone's) with its timing until the returned function is called. */
export function recordQueries(): () => QueryRecord[] {
  install();
  const records: QueryRecord[] = [];
  recording = records;
  return () => {
    if (recording === records) recording = undefined;
    return records;
  };
}
