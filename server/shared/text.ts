/**
 * What a client may send, bounded to what PostgreSQL stores: the one zod text type every
 * procedure's text input is built from, ids, whole numbers that fit an Int column, BigInt
 * cursors, dates in the timestamp range, and JSON values for jsonb. Shared by the UI's
 * forms and the server, so both refuse the same things with the same message.
 *
 * PostgreSQL's text and jsonb cannot hold NUL (U+0000), and a lone UTF-16 surrogate has no
 * UTF-8 form: both are refused here, with a message, instead of failing in the database
 * as a 500. Well-formed text is kept exactly as sent (no normalisation): what a person
 * typed, a reviewer reads and a hash binds must stay byte for byte the same.
 */
import { z } from "zod";

export const INT32_MAX = 2_147_483_647;
export const INT64_MAX = 9_223_372_036_854_775_807n;
/** PostgreSQL's timestamps reach 4713 BC to 294276 AD; years 1 to 9999 are what ISO 8601 and people write. */
export const EARLIEST_DATE = new Date("0001-01-01T00:00:00.000Z");
export const LATEST_DATE = new Date("9999-12-31T23:59:59.999Z");
/** Deeper than any tool argument needs; recursive walks (canonical JSON, hashing) stay far from the stack's limit. */
export const MAX_JSON_DEPTH = 32;
export const MAX_JSON_NODES = 10_000;
/** All the text in one JSON value: a file write's 1 MiB of content with room to spare. */
export const MAX_JSON_CHARS = 2_000_000;

// In a `u` regex, \p{Cs} matches only a surrogate that is not half of a pair.
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** Why PostgreSQL could not store this string, or undefined when it can. */
export function unstorableTextProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "Text cannot contain NUL characters (U+0000)";
  if (LONE_SURROGATE.test(value)) return "Text cannot contain unpaired UTF-16 surrogates";
  return undefined;
}

/**
 * For text nobody can be asked to resend (a model's output): NUL and lone surrogates become
 * U+FFFD, the replacement character, and everything else stays as it was.
 */
export function replaceUnstorableText(value: string): string {
  return value.replaceAll("\u0000", "\ufffd").replace(LONE_SURROGATES, "\ufffd");
}

/**
 * The same for a parsed JSON value, keys included. Values nested deeper than `maxDepth`
 * throw a RangeError rather than walk the stack down.
 */
export function replaceUnstorableJson(value: unknown, maxDepth = MAX_JSON_DEPTH): unknown {
  const replace = (item: unknown, depth: number): unknown => {
    if (depth > maxDepth) throw new RangeError(`Nested more than ${maxDepth} levels deep`);
    if (typeof item === "string") return replaceUnstorableText(item);
    if (Array.isArray(item)) return item.map((element) => replace(element, depth + 1));
    if (item !== null && typeof item === "object" && Object.getPrototypeOf(item) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(item).map(([key, element]) => [replaceUnstorableText(key), replace(element, depth + 1)]),
      );
    }
    return item;
  };
  return replace(value, 0);
}

/** The check every text input carries; the bad-input test looks for this very object. */
export const storableTextCheck = z.superRefine<string>((value, context) => {
  const problem = unstorableTextProblem(value);
  if (problem) context.addIssue({ code: "custom", message: problem, input: value });
});

/**
 * Text PostgreSQL can store, at most `max` characters (after trimming when `trim`). Chain
 * `.min()`, `.regex()` and the like as with z.string().
 */
export function text(max: number, options: { trim?: boolean; tooLong?: string } = {}) {
  const base = options.trim ? z.string().trim() : z.string();
  return base.check(storableTextCheck).max(max, options.tooLong ?? `At most ${max.toLocaleString("en")} characters`);
}

/**
 * The id of a stored row: Prisma's cuid() (a "c" and 24 lower-case letters or digits) or a
 * UUID (runs, steps, tool calls). Anything else names no row and is refused as malformed.
 */
export const recordId = text(64).regex(
  /^(c[a-z0-9]{24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
  "Not a valid id",
);

/** A whole number an Int column holds; non-negative unless `min` says otherwise. */
export function int32(min = 0, max = INT32_MAX) {
  return z
    .number({ error: "Enter a number" })
    .int("A whole number")
    .min(min, `At least ${min.toLocaleString("en")}`)
    .max(max, `At most ${max.toLocaleString("en")}`);
}

/** A BigInt id (audit events) written as decimal digits, as cursors travel. */
export const int64Cursor = text(19)
  .regex(/^\d{1,19}$/, "A cursor is a whole number")
  .refine((value) => !/^\d+$/.test(value) || BigInt(value) <= INT64_MAX, "This cursor is past the last event");

/** An Int sequence number (run events) written as decimal digits, as SSE's Last-Event-ID travels. */
export const int32Cursor = text(10)
  .regex(/^\d{1,10}$/, "An event id is a whole number")
  .refine((value) => !/^\d+$/.test(value) || Number(value) <= INT32_MAX, "This event id is past the last event");

/** A moment PostgreSQL's timestamp column holds and a person could mean. */
export const storedDate = z
  .date({ error: "Enter a date" })
  .min(EARLIEST_DATE, "Dates start at year 1")
  .max(LATEST_DATE, "Dates end at year 9999");

/** Why `value` cannot be stored as jsonb (or hashed, or shown), or undefined when it can. */
export function unstorableJsonProblem(value: unknown): string | undefined {
  let nodes = 0;
  let chars = 0;
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const next = pending.pop() as { value: unknown; depth: number };
    nodes++;
    if (nodes > MAX_JSON_NODES) return `At most ${MAX_JSON_NODES.toLocaleString("en")} values`;
    if (next.depth > MAX_JSON_DEPTH) return `Nested at most ${MAX_JSON_DEPTH} levels deep`;
    const item = next.value;
    if (item === null || typeof item === "boolean") continue;
    if (typeof item === "number") {
      if (!Number.isFinite(item)) return "Numbers must be finite";
      continue;
    }
    if (typeof item === "string") {
      chars += item.length;
      if (chars > MAX_JSON_CHARS) return `At most ${MAX_JSON_CHARS.toLocaleString("en")} characters of text`;
      const problem = unstorableTextProblem(item);
      if (problem) return problem;
      continue;
    }
    if (Array.isArray(item)) {
      for (const element of item) pending.push({ value: element, depth: next.depth + 1 });
      continue;
    }
    if (typeof item === "object" && Object.getPrototypeOf(item) === Object.prototype) {
      for (const [key, element] of Object.entries(item)) {
        chars += key.length;
        if (chars > MAX_JSON_CHARS) return `At most ${MAX_JSON_CHARS.toLocaleString("en")} characters of text`;
        const problem = unstorableTextProblem(key);
        if (problem) return `${problem} (in a key)`;
        pending.push({ value: element, depth: next.depth + 1 });
      }
      continue;
    }
    return `Only JSON values are accepted, not ${item instanceof Date ? "a date" : typeof item}`;
  }
  return undefined;
}

/** The check every free-form JSON input carries (tool arguments); the bad-input test looks for it. */
export const storableJsonCheck = z.superRefine<unknown>((value, context) => {
  const problem = unstorableJsonProblem(value);
  if (problem) context.addIssue({ code: "custom", message: problem, input: value });
});

/** Any JSON value jsonb can store: tool arguments as a person or a model wrote them. */
export const jsonValue = z.unknown().check(storableJsonCheck);
