/**
 * Hiding released sensitive values in text that others may see. Pure, shared by the
 * engine (run events, audit data, log lines) and the inbox (a reviewer's context).
 *
 * A value rarely travels raw: a model that quotes a tool result writes it JSON-escaped
 * (`"` → `\"`, newline → `\n`), a tool or a model puts it in a URL or a form body, an
 * HTTP tool returns it base64 or hex, and text stored as JSON inside JSON is escaped
 * twice. So each value is expanded into every form listed in `encodingsOf`, and text is
 * masked wherever any of those forms occurs — overlapping occurrences together, so no
 * part of one survives next to another.
 *
 * Length rules (why short strings are left alone in free text):
 * - A whole value shorter than MIN_LENGTH (6) is not searched for in free text: "abc" or
 *   "1234" occur in ordinary words and numbers, and hiding them everywhere would destroy
 *   the text while telling a reader where the value was. Such a value is still hidden
 *   where a structured result holds it as a whole string (see `maskDeep`).
 * - A multi-line value also hides each of its lines on its own (a model re-indents or
 *   quotes a PEM key line by line), but only a line that, trimmed, is at least
 *   MIN_LENGTH long and has a letter or a digit: lines such as `}`, `],` or `-----` are
 *   not secret material, and hiding them alone would hide every brace in the text. Their
 *   characters are still hidden wherever the whole value or a longer line occurs.
 * - Derived forms shorter than MIN_LENGTH (a base64 fragment of a short value) are
 *   dropped for the same reason.
 */
export const HIDDEN = "[hidden]";
export const MIN_LENGTH = 6;

/** The body of a JSON string literal for the text, as JSON.stringify writes it. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** The same, with every non-ASCII character as \uXXXX (Python's json.dumps, many loggers). */
function asciiJsonEscaped(text: string): string {
  return jsonEscaped(text).replace(
    /[^\x20-\x7e]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function percentEncodings(text: string): string[] {
  const forms: string[] = [];
  try {
    forms.push(encodeURIComponent(text), encodeURI(text));
  } catch {
    // A lone surrogate has no UTF-8 form: no URL can carry it as it is.
  }
  // application/x-www-form-urlencoded: spaces as `+`, `!'()~` escaped too.
  forms.push(new URLSearchParams({ v: text }).toString().slice(2));
  // Percent escapes are case-insensitive; some encoders write them lower-case.
  return forms.flatMap((form) => [form, form.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase())]);
}

/**
 * The base64 text that the value's bytes always produce, wherever they sit inside a
 * larger base64-encoded byte string: for each of the three byte alignments, the
 * characters whose six bits all come from the value. Plus the value encoded alone, with
 * its padding. Standard and URL-safe alphabets.
 */
function base64Encodings(bytes: Buffer): string[] {
  const forms: string[] = [bytes.toString("base64")];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    if (end > first) forms.push(encoded.slice(first, end));
  }
  return forms.flatMap((form) => [form, form.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")]);
}

/**
 * Lines of a value worth hiding on their own (see the header), trimmed: a quoted value
 * loses its surrounding whitespace, so a one-line value is also hidden without it.
 */
export function maskableLines(value: string): string[] {
  return value
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => line.length >= MIN_LENGTH && /[\p{L}\p{N}]/u.test(line));
}

/**
 * Every textual form of one string: raw and JSON-escaped (once, twice, ASCII-only, with
 * `\/`), and the raw and once-escaped forms URL-encoded (a URL built from a JSON value).
 */
function textualForms(text: string): string[] {
  const once = jsonEscaped(text);
  const ascii = asciiJsonEscaped(text);
  const forms = [text, once, jsonEscaped(once), ascii, jsonEscaped(ascii)];
  if (text.includes("/")) forms.push(once.replace(/\//g, "\\/"));
  return [...forms, ...percentEncodings(text), ...percentEncodings(once)];
}

const encodingCache = new Map<string, readonly string[]>();
const ENCODING_CACHE_LIMIT = 5_000;

/**
 * Every form of a value to hide, longest first: its textual forms, its bytes as base64
 * (every alignment) and hex, and the textual forms of each maskable line.
 */
export function encodingsOf(value: string): readonly string[] {
  const cached = encodingCache.get(value);
  if (cached) return cached;
  const forms = new Set<string>();
  if (value.length >= MIN_LENGTH) {
    for (const form of textualForms(value)) forms.add(form);
    const bytes = Buffer.from(value, "utf8");
    for (const form of base64Encodings(bytes)) forms.add(form);
    forms.add(bytes.toString("hex"));
    forms.add(bytes.toString("hex").toUpperCase());
  }
  for (const line of maskableLines(value)) for (const form of textualForms(line)) forms.add(form);
  const result = [...forms].filter((form) => form.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
  if (encodingCache.size >= ENCODING_CACHE_LIMIT) encodingCache.clear();
  encodingCache.set(value, result);
  return result;
}

/**
 * Every string leaf worth hiding, plus each line and each `KEY=value` value of multi-line
 * text; long numbers too (a salary or an account number read from a sensitive table).
 */
export function collectSensitiveStrings(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "number" || typeof value === "bigint") {
    const text = String(value);
    if (text.length >= MIN_LENGTH) into.add(text);
  } else if (typeof value === "string") {
    if (value.length >= MIN_LENGTH) into.add(value);
    if (value.includes("\n") || value.includes("=")) {
      for (const line of value.split(/\r?\n/)) {
        const trimmed = line.trim();
        if (trimmed.length >= MIN_LENGTH) into.add(trimmed);
        const assignment = /^[^=\s]+\s*=\s*["']?(.+?)["']?$/.exec(trimmed);
        if (assignment?.[1] && assignment[1].length >= MIN_LENGTH) into.add(assignment[1]);
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectSensitiveStrings(item, into);
  } else if (value && typeof value === "object") {
    for (const item of Object.values(value)) collectSensitiveStrings(item, into);
  }
  return into;
}

/** Values compiled once into the forms to search for; recompiled when the set grows. */
export interface CompiledMask {
  /** Every form of every value, longest first. */
  forms: readonly string[];
  /** Whole values, for exact matches of short ones in structured data. */
  values: ReadonlySet<string>;
  longest: number;
}

export function compileMask(values: Iterable<string>): CompiledMask {
  const unique = new Set(values);
  const forms = new Set<string>();
  for (const value of unique) for (const form of encodingsOf(value)) forms.add(form);
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return { forms: sorted, values: unique, longest: sorted[0]?.length ?? 0 };
}

/** The ranges [start, end) of text covered by some form, merged. */
function hiddenRanges(text: string, mask: CompiledMask): [number, number][] {
  const ranges: [number, number][] = [];
  for (const form of mask.forms) {
    if (form.length > text.length) continue;
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) ranges.push([at, at + form.length]);
  }
  if (ranges.length < 2) return ranges;
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [ranges[0] as [number, number]];
  for (const range of ranges.slice(1)) {
    const last = merged[merged.length - 1] as [number, number];
    if (range[0] < last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

function replaceRanges(text: string, ranges: [number, number][]): string {
  if (ranges.length === 0) return text;
  let out = "";
  let position = 0;
  for (const [start, end] of ranges) {
    out += text.slice(position, start) + HIDDEN;
    position = end;
  }
  return out + text.slice(position);
}

function asMask(values: Iterable<string> | CompiledMask): CompiledMask {
  return "forms" in values && "longest" in values ? (values as CompiledMask) : compileMask(values as Iterable<string>);
}

export function maskSensitive(text: string, values: Iterable<string> | CompiledMask): string {
  const mask = asMask(values);
  if (mask.forms.length === 0) return text;
  return replaceRanges(text, hiddenRanges(text, mask));
}

/**
 * Masks every string in a JSON-like value. A string that is exactly a value is hidden
 * whatever its length, so a short secret is still hidden in a structured result.
 */
export function maskDeep<T>(value: T, values: Iterable<string> | CompiledMask): T {
  const mask = asMask(values);
  if (mask.values.size === 0) return value;
  const json = JSON.stringify(value);
  if (json === undefined) return value;
  return JSON.parse(json, (_key, item) =>
    typeof item === "string" ? (mask.values.has(item) ? HIDDEN : maskSensitive(item, mask)) : item,
  ) as T;
}

/**
 * Masks a stream of text deltas: text is held back until no hidden form could still
 * start in it, so a value split across deltas is never emitted in part. What it emits,
 * joined, is what masking the whole text at once gives.
 */
export function createStreamMasker(values: () => ReadonlySet<string>) {
  let pending = "";
  let compiled: CompiledMask = compileMask([]);
  let compiledSize = -1;
  const current = () => {
    const set = values();
    // The released set only grows during a run: its size says when to recompile.
    if (set.size !== compiledSize) {
      compiled = compileMask(set);
      compiledSize = set.size;
    }
    return compiled;
  };
  return {
    push(delta: string): string {
      pending += delta;
      const mask = current();
      if (mask.forms.length === 0) {
        const out = pending;
        pending = "";
        return out;
      }
      const hold = mask.longest - 1;
      // A scan costs the length of `pending` for each form: scan once it can emit at least
      // as much as it must hold back, so masking a long stream stays linear.
      if (pending.length - hold < Math.max(1, hold)) return "";
      // Any form starting before `safe` is complete in `pending`, so it was found.
      let safe = pending.length - hold;
      const ranges = hiddenRanges(pending, mask);
      // Never cut through a hidden range: it goes out whole, later.
      for (const [start, end] of ranges) if (start < safe && end > safe) safe = start;
      if (safe === 0) return "";
      const emitted = replaceRanges(
        pending.slice(0, safe),
        ranges.filter(([, end]) => end <= safe),
      );
      pending = pending.slice(safe);
      return emitted;
    },
    flush(): string {
      const rest = maskSensitive(pending, current());
      pending = "";
      return rest;
    },
  };
}
