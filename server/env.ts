/**
 * Validated configuration. The only module that reads process.env: everything else asks
 * `env()` so a wrong value stops start-up with a message naming the variable.
 */
import { z } from "zod";

const booleanFlag = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"], {
    error: "expected one of 1/0, true/false, yes/no, on/off",
  })
  .transform((value) => ["1", "true", "yes", "on"].includes(value));

const port = z.coerce
  .number({ error: "expected a port number" })
  .int("expected a whole number")
  .min(1, "expected a port between 1 and 65535")
  .max(65535, "expected a port between 1 and 65535");

const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what} greater than 0`);

/** OpenTelemetry's enum values are read case-insensitively (its environment specification). */
const lowerCase = (value: unknown) => (typeof value === "string" ? value.toLowerCase() : value);

/** OTLP over HTTP in either encoding; gRPC would need a second exporter stack for no gain here. */
const otlpProtocol = z.preprocess(
  lowerCase,
  z.enum(["http/protobuf", "http/json"], {
    error:
      "expected http/protobuf or http/json (grpc is not supported: point it at the collector's OTLP/HTTP port, 4318)",
  }),
);

const poolSize = z.coerce
  .number({ error: "expected a number of connections" })
  .int("expected a whole number of connections")
  .min(1, "expected between 1 and 500 connections")
  .max(500, "expected between 1 and 500 connections");

const url = (what: string) => z.url({ error: `expected ${what}` });

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, "expected a PostgreSQL URL such as postgresql://user:password@host:5432/airlock");

/** `a, b,c` → ["a", "b", "c"]; blanks are dropped so a trailing comma is harmless. */
const commaList = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== ""),
);

/** W3C Baggage-style `key=value,key2=value2` (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES); values URL-decoded. */
const keyValueList = (what: string) =>
  z.string().transform((value, context) => {
    const entries: [string, string][] = [];
    for (const item of value.split(",")) {
      if (item.trim() === "") continue;
      const at = item.indexOf("=");
      const key = at > 0 ? item.slice(0, at).trim() : "";
      if (key === "") {
        context.addIssue({ code: "custom", message: `expected ${what} as key=value pairs separated by commas` });
        return z.NEVER;
      }
      try {
        entries.push([key, decodeURIComponent(item.slice(at + 1).trim())]);
      } catch {
        context.addIssue({ code: "custom", message: `the value of ${key} is not valid percent-encoding` });
        return z.NEVER;
      }
    }
    return Object.fromEntries(entries) as Record<string, string>;
  });

const secretsKey = z
  .string()
  .refine((value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, "base64").length === 32, {
    error: "expected 32 random bytes in base64 (openssl rand -base64 32)",
  });

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: port.default(3000),
  DATABASE_URL: postgresUrl.optional(),
  AIRLOCK_DATA_DIR: z.string().min(1).default(".data"),
  /** 0: any free port (tests and throwaway instances). */
  EMBEDDED_POSTGRES_PORT: z.coerce
    .number({ error: "expected a port number" })
    .int("expected a whole number")
    .min(0, "expected a port between 0 (any free port) and 65535")
    .max(65535, "expected a port between 0 (any free port) and 65535")
    .default(54329),
  /** The address the web server listens on; default: every interface. 127.0.0.1 behind a proxy on the same host. */
  BIND_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, "expected an IP address or host name, e.g. 127.0.0.1 or 0.0.0.0")
    .optional(),
  /**
   * Database connections one instance may open: Prisma's pool, the raw SQL pool of the hot
   * paths (server/db/sql-batch.ts), and one LISTEN connection. Checked against the
   * server's max_connections at start (server/db/connection-budget.ts).
   */
  DATABASE_POOL_SIZE: poolSize.default(20),
  DATABASE_SQL_POOL_SIZE: poolSize.default(20),
  /**
   * How long one attempt of an interactive transaction waits for a connection of the
   * Prisma pool. Prisma's driver-adapter client waits for the connection anyway and only
   * then, if this much time has passed, rolls it back and throws ("Unable to start a
   * transaction in the given time"): a short bound throws away work that waited for its
   * turn. Such an attempt ran nothing, so inTransaction() tries again, waiting twice as
   * long each time (server/db/transaction.ts); this is the first attempt's bound.
   */
  DATABASE_TRANSACTION_MAX_WAIT_MS: z.coerce
    .number({ error: "expected milliseconds" })
    .int("expected whole milliseconds")
    .min(10, "expected at least 10 milliseconds")
    .max(600_000, "expected at most 600000 milliseconds")
    .default(30_000),
  NEXTAUTH_URL: url("the public URL of the app, e.g. http://localhost:3000").optional(),
  NEXTAUTH_SECRET: z.string().min(32, "expected at least 32 characters of random secret").optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** The only variable of Airlock's own environment an MCP stdio server gets (unless its admin sets PATH). */
  PATH: z.string().optional(),

  // OpenTelemetry (the standard OTEL_* names): nothing is exported unless an endpoint is set.
  /** Base URL of an OTLP/HTTP collector; traces go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: url("the base URL of an OTLP/HTTP collector, e.g. http://localhost:4318").optional(),
  /** The full traces URL, used as given (wins over OTEL_EXPORTER_OTLP_ENDPOINT). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url("the OTLP/HTTP traces URL, e.g. http://localhost:4318/v1/traces").optional(),
  /** The OTLP/HTTP encoding: `http/protobuf` (the spec's default, smaller and cheaper to write) or `http/json`. */
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.default("http/protobuf"),
  /** The same for traces only (wins over OTEL_EXPORTER_OTLP_PROTOCOL). */
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList("headers").default({}),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList("headers").default({}),
  OTEL_SERVICE_NAME: z.string().min(1).default("airlock"),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList("resource attributes").default({}),
  OTEL_TRACES_SAMPLER: z
    .preprocess(
      lowerCase,
      z.enum(
        [
          "always_on",
          "always_off",
          "traceidratio",
          "parentbased_always_on",
          "parentbased_always_off",
          "parentbased_traceidratio",
        ],
        { error: "expected always_on, always_off, traceidratio or parentbased_(always_on|always_off|traceidratio)" },
      ),
    )
    .default("parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: "expected a ratio between 0 and 1" })
    .min(0, "expected a ratio between 0 and 1")
    .max(1, "expected a ratio between 0 and 1")
    .default(1),
  /** `true` turns tracing off even with an endpoint set. */
  OTEL_SDK_DISABLED: booleanFlag.default(false),
  /** Prompt and completion text in model-call spans (masked); off by default. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: booleanFlag.default(false),
  /** Bearer token that may read /api/metrics (admins signed in may read it too). */
  METRICS_TOKEN: z.string().min(16, "expected at least 16 characters of random token").optional(),

  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: url("an http(s) URL").optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: url("an http(s) URL, e.g. https://api.anthropic.com/v1").optional(),
  OPENAI_COMPATIBLE_BASE_URL: url(
    "the base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1",
  ).optional(),
  OPENAI_COMPATIBLE_API_KEY: z.string().min(1).optional(),
  OPENAI_COMPATIBLE_MODELS: z.string().min(1).optional(),
  DEFAULT_MODEL: z.string().min(1).optional(),
  DEMO_MODEL_TOKEN_DELAY_MS: z.coerce.number().int().min(0).max(5000).default(18),
  /** bench:load only: the demo model answers `clock <n> tokens every <ms> ms` with timestamped tokens. */
  DEMO_MODEL_CLOCK: booleanFlag.default(false),

  OIDC_ISSUER: url("the OIDC issuer URL").optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_NAME: z.string().min(1).default("Single sign-on"),
  GITHUB_ID: z.string().min(1).optional(),
  GITHUB_SECRET: z.string().min(1).optional(),

  SEED_DEMO_USERS: booleanFlag.default(true),
  APPROVAL_WEBHOOK_URL: url("an http(s) URL for approval notices (Slack-compatible)").optional(),
  SIGNIN_MAX_FAILURES: positiveInt("a number of attempts").default(5),
  SIGNIN_WINDOW_MINUTES: positiveInt("a number of minutes").default(15),

  RUN_MAX_STEPS: positiveInt("a number of steps").default(25),
  RUN_TIMEOUT_MS: positiveInt("milliseconds").default(15 * 60_000),
  TOOL_TIMEOUT_MS: positiveInt("milliseconds").default(30_000),
  TOOL_CONCURRENCY: positiveInt("a number of parallel tool calls").default(8),
  MODEL_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  MODEL_IDLE_TIMEOUT_MS: positiveInt("milliseconds").default(60_000),
  RUN_LEASE_MS: positiveInt("milliseconds").default(15_000),
  WORKER_CONCURRENCY: positiveInt("a number of runs").default(4),
  /** A run whose worker died this many times is failed instead of resumed again (a crash loop). */
  RUN_MAX_RECOVERIES: z.coerce
    .number({ error: "expected a number of recoveries" })
    .int("expected a whole number of recoveries")
    .min(1, "expected at least 1 recovery")
    .max(100, "expected at most 100 recoveries")
    .default(5),
  /** The pause before a run recovered more than once is claimable again; doubles with each recovery. */
  RUN_RECOVERY_BACKOFF_MS: z.coerce
    .number({ error: "expected milliseconds" })
    .int("expected whole milliseconds")
    .min(0, "expected 0 or more milliseconds")
    .max(600_000, "expected at most 600000 milliseconds")
    .default(2_000),
  AIRLOCK_WORKER: booleanFlag.default(true),

  // The MCP gateway (/api/mcp, server/gateway).
  /**
   * How long a tools/call that needs a reviewer waits for the decision before it answers
   * "pending approval"; below the 60 s most MCP clients give a request.
   */
  MCP_APPROVAL_WAIT_MS: positiveInt("milliseconds").default(50_000),
  /** Browser origins besides NEXTAUTH_URL's (and loopback pages) that may call /api/mcp, e.g. `https://ide.example.com`. */
  MCP_ALLOWED_ORIGINS: commaList.default([]),

  // Built-in tools (server/tools). Lists are comma-separated.
  /**
   * The directory the file and shell tools work in; default `<AIRLOCK_DATA_DIR>-workspace`,
   * next to the data directory and never inside it (an old `<AIRLOCK_DATA_DIR>/workspace` is moved there on start).
   */
  WORKSPACE_ROOT: z.string().min(1).optional(),
  /** Files whose reading is SENSITIVE_READ, gitignore-style: no `/` matches a name at any depth. */
  WORKSPACE_SENSITIVE_PATTERNS: commaList.default([".env*", "*.pem", "id_*", "secrets/**"]),
  /** The database sql_query works on; default: the `demo` database on DATABASE_URL's server. */
  SQL_TARGET_URL: postgresUrl.optional(),
  /** Tables (optionally schema-qualified) whose reading is SENSITIVE_READ. */
  SQL_SENSITIVE_TABLES: commaList.default(["payment_methods"]),
  /** Replaces the shell tool's read-only commands, e.g. `ls,cat,wc`; each keeps its safe flags. */
  SHELL_READ_ALLOWLIST: commaList.optional(),
  /** 32 random bytes in base64 that encrypt stored secrets; the launcher keeps one in `<AIRLOCK_DATA_DIR>/secrets-key`. */
  SECRETS_KEY: secretsKey.optional(),
  /** send_message also POSTs each message here as JSON. */
  OUTBOX_WEBHOOK_URL: url("an http(s) URL for outgoing messages").optional(),
  /** send_message also sends each message through this server, e.g. smtp://user:password@mail.local:587. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, "expected an SMTP URL such as smtp://user:password@mail.example.com:587")
    .optional(),
  /** The From address of messages sent through SMTP_URL. */
  SMTP_FROM: z.email({ error: "expected an email address" }).default("airlock@localhost"),
});

/** Settings that only make sense together; checked even when other values are wrong. */
const REQUIRED_PARTNERS: [string, string][] = [
  ["OIDC_CLIENT_ID", "OIDC_ISSUER"],
  ["OIDC_CLIENT_SECRET", "OIDC_ISSUER"],
  ["OIDC_ISSUER", "OIDC_CLIENT_ID"],
  ["OIDC_ISSUER", "OIDC_CLIENT_SECRET"],
  ["GITHUB_ID", "GITHUB_SECRET"],
  ["GITHUB_SECRET", "GITHUB_ID"],
  ["OPENAI_COMPATIBLE_MODELS", "OPENAI_COMPATIBLE_BASE_URL"],
];

export type Env = z.infer<typeof schema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigurationError";
  }
}

/** Parses a set of variables; empty strings count as unset so `FOO=` in a shell is harmless. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(cleaned);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join(".") || "(environment)"}: ${issue.message}`);
  for (const [present, required] of REQUIRED_PARTNERS) {
    if (cleaned[present] !== undefined && cleaned[required] === undefined) {
      problems.push(`${required}: required when ${present} is set`);
    }
  }
  if (!result.success || problems.length > 0) throw new ConfigurationError(problems);
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

/** Tests and the launcher change variables before the app reads them; this forgets the parsed copy. */
export function resetEnvForTests(): void {
  cached = undefined;
}

/** The launcher hands child processes the same environment it was given, plus what it decided. */
export function environmentForChild(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
