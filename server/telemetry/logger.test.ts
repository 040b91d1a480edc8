import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { withLogContext } from "./log-context";
import { createLogger, maskingLogger } from "./logger";
import { startTracing, stopTracing, traced } from "./tracing";

const lines: { stream: "out" | "err"; text: string }[] = [];
const originalOut = process.stdout.write.bind(process.stdout);
const originalErr = process.stderr.write.bind(process.stderr);

beforeAll(() => {
  process.env.LOG_LEVEL = "debug";
  resetEnvForTests();
  process.stdout.write = ((chunk: unknown) => {
    lines.push({ stream: "out", text: String(chunk) });
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => {
    lines.push({ stream: "err", text: String(chunk) });
    return true;
  }) as typeof process.stderr.write;
});

afterEach(() => {
  lines.length = 0;
});

afterAll(async () => {
  process.stdout.write = originalOut;
  process.stderr.write = originalErr;
  delete process.env.LOG_LEVEL;
  resetEnvForTests();
  await stopTracing();
});

function parsed(): Record<string, unknown>[] {
  return lines.map((line) => {
    expect(line.text.endsWith("\n")).toBe(true);
    return JSON.parse(line.text) as Record<string, unknown>;
  });
}

describe("the logger (pino underneath, the same API)", () => {
  it("writes one JSON object a line with time, level, message and fields; warnings to stderr", () => {
    const log = createLogger({ service: "airlock" }).child({ workerId: "w1" });
    log.info("run finished", { outcome: "COMPLETED" });
    log.warn("lease lost");
    const [info, warn] = parsed();
    expect(info).toMatchObject({
      level: "info",
      message: "run finished",
      service: "airlock",
      workerId: "w1",
      outcome: "COMPLETED",
    });
    expect(new Date(info?.time as string).toISOString()).toBe(info?.time);
    expect(warn).toMatchObject({ level: "warn", message: "lease lost" });
    expect(lines.map((line) => line.stream)).toEqual(["out", "err"]);
  });

  it("honours LOG_LEVEL as it changes", () => {
    process.env.LOG_LEVEL = "warn";
    resetEnvForTests();
    const log = createLogger();
    log.info("not written");
    log.error("written");
    process.env.LOG_LEVEL = "debug";
    resetEnvForTests();
    expect(parsed().map((line) => line.message)).toEqual(["written"]);
  });

  it("carries the trace id, span id, run id and user id of the moment", async () => {
    startTracing({ exporter: new InMemorySpanExporter(), simple: true });
    const log = createLogger();
    let ids: { traceId: string; spanId: string } | undefined;
    await withLogContext({ runId: "run-1", userId: "user-1" }, () =>
      traced("work", {}, async () => {
        const { activeSpanIds } = await import("./tracing");
        ids = activeSpanIds() ?? undefined;
        log.info("inside");
      }),
    );
    log.info("outside");
    const [inside, outside] = parsed();
    expect(ids?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(inside).toMatchObject({ traceId: ids?.traceId, spanId: ids?.spanId, runId: "run-1", userId: "user-1" });
    expect(outside?.traceId).toBeUndefined();
    expect(outside?.runId).toBeUndefined();
  });

  it("redacts secrets by key, by path rule and, for a run, by value", () => {
    const log = createLogger();
    log.info("request", {
      password: "hunter2-password",
      nested: { apiKey: "sk-nested-key-value" },
      request: { headers: { "x-custom": "sk-header-value-1" } },
      env: { ANY_NAME: "sk-env-value-42" },
    });
    const masked = maskingLogger(createLogger(), () => new Set(["sk-released-value-7"]));
    masked.error("the tool said sk-released-value-7", { output: { text: "value sk-released-value-7 here" } });
    const text = lines.map((line) => line.text).join("");
    for (const secret of [
      "hunter2-password",
      "sk-nested-key-value",
      "sk-header-value-1",
      "sk-env-value-42",
      "sk-released-value-7",
    ]) {
      expect(text).not.toContain(secret);
    }
    const [first, second] = parsed();
    expect(first).toMatchObject({
      password: "[redacted]",
      nested: { apiKey: "[redacted]" },
      request: { headers: "[redacted]" },
      env: "[redacted]",
    });
    expect(second).toMatchObject({ message: "the tool said [hidden]", output: { text: "value [hidden] here" } });
  });
});
