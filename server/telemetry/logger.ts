/**
 * Structured JSON logs (pino), one object per line: time, level, message, the fields
 * given, and — when there are — the trace id and span id of the active span and the run
 * and user the work is for (log-context.ts). Secrets are kept out twice: values under
 * keys that look secret are masked before pino sees them, and pino's path rules redact
 * the well-known places (headers, credentials) wherever a caller nests them; a run's
 * logger also hides its released values (maskingLogger). Invariant 4.
 */
import pino from "pino";
import { env } from "../env";
import { maskDeep, maskSensitive } from "../shared/sensitive-values";
import { currentLogContext } from "./log-context";
import { activeSpanIds } from "./tracing";

type Level = "debug" | "info" | "warn" | "error";
const LEVEL_ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET_KEY = /(pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key)/i;
export const REDACTED = "[redacted]";

/** pino's path rules: the places a credential sits in the objects we log (requests, configs, errors). */
export const REDACT_PATHS = [
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.headers['x-api-key']",
  "request.headers",
  "env",
  "*.env",
  "config.OTEL_EXPORTER_OTLP_HEADERS",
  "config.SECRETS_KEY",
  "config.NEXTAUTH_SECRET",
];

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

/**
 * Where pino's line goes: warnings and errors to stderr, the rest to stdout, looked up at
 * each write (tests and tools that capture process.stdout replace it at run time).
 */
let target: NodeJS.WriteStream = process.stdout;
const destination = {
  write(line: string) {
    target.write(line);
  },
};

/** The correlation fields of the moment: trace and span ids, run and user. */
function correlation(): Record<string, string> {
  const ids = activeSpanIds();
  const context = currentLogContext();
  const fields: Record<string, string> = {};
  if (ids) {
    fields.traceId = ids.traceId;
    fields.spanId = ids.spanId;
  }
  if (context?.runId) fields.runId = context.runId;
  if (context?.userId) fields.userId = context.userId;
  return fields;
}

const root = pino(
  {
    level: "debug",
    base: undefined,
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    mixin: correlation,
    // Fields given at the call win over the correlation fields (an explicit runId stays).
    mixinMergeStrategy: (mergeObject, mixinObject) => ({ ...mixinObject, ...mergeObject }),
  },
  destination,
);

export function createLogger(base: LogFields = {}): Logger {
  const instance = root.child(redact(base) as LogFields);
  const write = (level: Level, message: string, fields?: LogFields) => {
    if (LEVEL_ORDER[level] < threshold()) return;
    target = level === "error" || level === "warn" ? process.stderr : process.stdout;
    instance[level]((fields ? redact(fields) : {}) as object, message);
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
