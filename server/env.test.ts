import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "./env";

function problems(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
}

describe("configuration", () => {
  it("reads the standard OTEL_* variables, and names a wrong one", () => {
    const config = parseEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D1, tenant = blue",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    expect(config.OTEL_EXPORTER_OTLP_HEADERS).toEqual({ "x-api-key": "abc=1", tenant: "blue" });
    expect(config.OTEL_RESOURCE_ATTRIBUTES).toEqual({ "deployment.environment": "prod" });
    expect(config.OTEL_TRACES_SAMPLER_ARG).toBe(0.25);
    expect(parseEnv({}).OTEL_SERVICE_NAME).toBe("airlock");
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector" })[0]).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT: expected/);
    expect(problems({ OTEL_EXPORTER_OTLP_HEADERS: "=novalue" })[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_HEADERS: expected headers as key=value/,
    );
    expect(problems({ OTEL_TRACES_SAMPLER: "sometimes" })[0]).toMatch(/^OTEL_TRACES_SAMPLER: expected always_on/);
    expect(problems({ OTEL_TRACES_SAMPLER_ARG: "2" })[0]).toMatch(/^OTEL_TRACES_SAMPLER_ARG: expected a ratio/);
    expect(problems({ METRICS_TOKEN: "short" })[0]).toMatch(/^METRICS_TOKEN: expected at least 16/);
    expect(parseEnv({}).OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
    expect(parseEnv({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json" }).OTEL_EXPORTER_OTLP_TRACES_PROTOCOL).toBe(
      "http/json",
    );
    expect(parseEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: "HTTP/JSON" }).OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/json");
    expect(parseEnv({ OTEL_TRACES_SAMPLER: "Always_Off" }).OTEL_TRACES_SAMPLER).toBe("always_off");
    for (const spelling of ["grpc", "http/protobuf ", "json", "http/proto"]) {
      expect(problems({ OTEL_EXPORTER_OTLP_PROTOCOL: spelling })[0], spelling).toMatch(
        /^OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf or http\/json \(grpc is not supported/,
      );
    }
  });

  it("has working defaults for a first start", () => {
    const config = parseEnv({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SEED_DEMO_USERS).toBe(true);
    expect(config.AIRLOCK_WORKER).toBe(true);
  });

  it("names the variable and what it expects when a value is wrong", () => {
    expect(problems({ PORT: "eighty" })).toEqual(["PORT: expected a port number"]);
    expect(problems({ PORT: "70000" })).toEqual(["PORT: expected a port between 1 and 65535"]);
    expect(problems({ DATABASE_URL: "mysql://x" })[0]).toMatch(/^DATABASE_URL: expected a PostgreSQL URL/);
    expect(problems({ AIRLOCK_WORKER: "maybe" })[0]).toMatch(/^AIRLOCK_WORKER: expected one of/);
    expect(problems({ NEXTAUTH_SECRET: "short" })[0]).toMatch(/^NEXTAUTH_SECRET: expected at least 32 characters/);
    expect(problems({ RUN_MAX_STEPS: "0" })[0]).toMatch(/^RUN_MAX_STEPS: expected a number of steps greater than 0/);
    expect(problems({ DATABASE_TRANSACTION_MAX_WAIT_MS: "5" })).toEqual([
      "DATABASE_TRANSACTION_MAX_WAIT_MS: expected at least 10 milliseconds",
    ]);
    expect(problems({ DATABASE_TRANSACTION_MAX_WAIT_MS: "soon" })).toEqual([
      "DATABASE_TRANSACTION_MAX_WAIT_MS: expected milliseconds",
    ]);
    expect(parseEnv({}).DATABASE_TRANSACTION_MAX_WAIT_MS).toBe(30_000);
  });

  it("reports every problem at once, including settings that need a partner", () => {
    const found = problems({ PORT: "x", OIDC_CLIENT_ID: "id", GITHUB_SECRET: "s", OPENAI_COMPATIBLE_MODELS: "llama3" });
    expect(found).toEqual(
      expect.arrayContaining([
        "PORT: expected a port number",
        "OIDC_ISSUER: required when OIDC_CLIENT_ID is set",
        "GITHUB_ID: required when GITHUB_SECRET is set",
        "OPENAI_COMPATIBLE_BASE_URL: required when OPENAI_COMPATIBLE_MODELS is set",
      ]),
    );
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ PORT: "", DATABASE_URL: "" }).PORT).toBe(3000);
  });
});
