/**
 * Structured JSON logs, one object per line, with run and trace ids when given.
 * Values under keys that look secret are masked here, so a careless call site
 * cannot leak a credential into the log (invariant 4).
 */
import { env } from "../env";
import { maskDeep, maskSensitive } from "../shared/sensitive-values";

type Level = "debug" | "info" | "warn" | "error";
const LEVEL_ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;
export const REDACTED = "[redacted]";

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1)]),
  );
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

function threshold(): number {
  try {
    return LEVEL_ORDER[env().LOG_LEVEL];
  } catch {
    return LEVEL_ORDER.info;
  }
}

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: Level, message: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < threshold()) return;
    const line = JSON.stringify({
      time: new Date().toISOString(),
      level,
      message,
      ...(redact({ ...base, ...fields }) as object),
    });
    (level === "error" || level === "warn" ? process.stderr : process.stdout).write(`${line}\n`);
  };
  return {
    debug: (message, fields) => write("debug", message, fields),
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}

/**
 * A logger that hides the given sensitive values (in every form the masker knows) from
 * each line: the engine wraps a run's logger with the values released in its
 * conversation, so an error message or a tool's log line that repeats one is written
 * masked. Keys are redacted first, so errors become plain objects the masker can walk.
 */
export function maskingLogger(base: Logger, values: () => ReadonlySet<string>): Logger {
  const write =
    (level: Level) =>
    (message: string, fields?: LogFields): void => {
      const sensitive = values();
      if (sensitive.size === 0) {
        base[level](message, fields);
        return;
      }
      base[level](
        maskSensitive(message, sensitive),
        fields ? (maskDeep(redact(fields), sensitive) as LogFields) : undefined,
      );
    };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (fields) => maskingLogger(base.child(fields), values),
  };
}

export const logger = createLogger({ service: "airlock" });
