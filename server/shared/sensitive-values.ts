/**
 * Hiding released sensitive values in text that others may see. Pure, shared by the
 * engine (run events) and the inbox (a reviewer's context).
 */
export const HIDDEN = "[hidden]";
const MIN_LENGTH = 6;

/** Every string leaf worth hiding, plus each line and each `KEY=value` value of multi-line text. */
export function collectSensitiveStrings(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (typeof value === "string") {
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

export function maskSensitive(text: string, values: Iterable<string>): string {
  // Longest first, so a value that contains another is hidden whole.
  const sorted = [...values].filter((value) => value.length >= MIN_LENGTH).sort((a, b) => b.length - a.length);
  let masked = text;
  for (const value of sorted) {
    if (masked.includes(value)) masked = masked.split(value).join(HIDDEN);
  }
  return masked;
}

export function maskDeep<T>(value: T, values: Iterable<string>): T {
  const list = [...values];
  if (list.length === 0) return value;
  return JSON.parse(JSON.stringify(value), (_key, item) =>
    typeof item === "string" ? maskSensitive(item, list) : item,
  ) as T;
}

/**
 * Masks a stream of text deltas: text is held back until no hidden value could still
 * start in it, so a value split across deltas is never emitted in part.
 */
export function createStreamMasker(values: () => ReadonlySet<string>) {
  let pending = "";
  const longest = () => Math.max(0, ...[...values()].map((value) => value.length));
  return {
    push(delta: string): string {
      pending += delta;
      const hold = Math.max(0, longest() - 1);
      const masked = maskSensitive(pending, values());
      if (masked !== pending) {
        // A value completed: emit everything up to the hold-back window.
        pending = masked;
      }
      if (pending.length <= hold) return "";
      const emit = pending.slice(0, pending.length - hold);
      pending = pending.slice(pending.length - hold);
      return emit;
    },
    flush(): string {
      const rest = maskSensitive(pending, values());
      pending = "";
      return rest;
    },
  };
}
