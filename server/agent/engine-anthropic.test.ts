/**
 * The engine against the real Anthropic provider (`@ai-sdk/anthropic`), resolved through
 * the model registry and talking HTTP + Anthropic's SSE events to a local fake Messages API,
 * with the real database. The fake turns away requests the real API would reject, so a
 * passing test means Anthropic would have accepted every request the engine made; each
 * test checks what the user would see afterwards.
 */
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { listRunEvents } from "../db/run-events";
import { resetEnvForTests } from "../env";
import { installStoredModelConfig } from "../models/registry";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  type ContentBlock,
  type FakeAnthropicServer,
  type MessagesRequestBody,
  startFakeAnthropicServer,
} from "../testing/fake-anthropic-server";
import {
  expectNaps,
  getWeather,
  nap,
  napIntervals,
  runRows,
  runThroughRegistry,
  streamedAttempts,
  streamedText,
} from "../testing/provider-runs";
import type { AnyTool } from "../tools/define-tool";
import type { EngineConfig } from "./engine-config";
import { SYSTEM_PROMPT } from "./model-step";

const API_KEY = "sk-ant-test-0123456789";
const MODEL_NAME = "claude-sonnet-4-5";
const MODEL_ID = `anthropic:${MODEL_NAME}`;

let database: TestDatabase;
let fake: FakeAnthropicServer;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeAnthropicServer({ apiKey: API_KEY });
  // The registry reads the key and the base URL from the environment, as it does in production.
  process.env.ANTHROPIC_API_KEY = API_KEY;
  process.env.ANTHROPIC_BASE_URL = fake.baseUrl;
  resetEnvForTests();
});

afterEach(() => fake.reset());

afterAll(async () => {
  delete process.env.ANTHROPIC_API_KEY;
  delete process.env.ANTHROPIC_BASE_URL;
  resetEnvForTests();
  await fake?.stop();
  await database?.drop();
});

// --- tools -------------------------------------------------------------------------

const ALL_TOOLS: AnyTool[] = [getWeather, nap];

// --- helpers -----------------------------------------------------------------------

const runMessage = (options: { config?: Partial<EngineConfig>; modelId?: string }) =>
  runThroughRegistry({ modelId: MODEL_ID, tools: ALL_TOOLS, ...options });
const { runRow, toolCalls, messages } = runRows(() => database);

function blocksOf(message: MessagesRequestBody["messages"][number] | undefined): ContentBlock[] {
  return Array.isArray(message?.content) ? message.content : [];
}

/** The tool_result blocks the model was sent in one request, by the id of the tool_use they answer. */
function toolResultsSent(request: MessagesRequestBody | undefined): Map<string, ContentBlock> {
  const results = (request?.messages ?? []).flatMap(blocksOf).filter((block) => block.type === "tool_result");
  return new Map(results.map((block) => [String(block.tool_use_id), block]));
}

function systemText(request: MessagesRequestBody | undefined): string {
  const system = request?.system;
  return typeof system === "string" ? system : (system ?? []).map((block) => block.text).join("\n");
}

function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

const answer = (...text: string[]) => ({ type: "stream" as const, text });

// --- tests -------------------------------------------------------------------------

describe("engine with the Anthropic provider", () => {
  it("calls a tool, sends its result back as a tool_result, answers, and records usage per step", async () => {
    fake.enqueue(
      {
        type: "stream",
        text: ["Let me check."],
        toolUses: [{ id: "toolu_weather", name: "get_weather", input: '{"city":"Oslo"}' }],
        tokenDelayMs: 5,
        usage: { inputTokens: 31, outputTokens: 7 },
      },
      {
        type: "stream",
        text: ["It is ", "12 °C ", "in Oslo."],
        tokenDelayMs: 5,
        usage: { inputTokens: 58, outputTokens: 12 },
      },
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");

    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    for (const headers of fake.requestHeaders) {
      expect(header(headers, "x-api-key")).toBe(API_KEY);
      expect(header(headers, "anthropic-version")).toBe("2023-06-01");
    }
    expect(first?.model).toBe(MODEL_NAME);
    expect(first?.stream).toBe(true);
    expect(first?.max_tokens).toBeGreaterThan(0);
    // The system prompt travels in Anthropic's top-level `system`, not as a message.
    expect(systemText(first)).toBe(SYSTEM_PROMPT);
    expect(first?.messages.map((message) => message.role)).toEqual(["user"]);
    expect(blocksOf(first?.messages[0])).toEqual([{ type: "text", text: "What is the weather in Oslo?" }]);
    expect(first?.tools?.map((tool) => tool.name)).toEqual(ALL_TOOLS.map((tool) => tool.name));
    expect(first?.tools?.[0]).toMatchObject({
      name: "get_weather",
      description: "Current weather for a city",
      input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    });
    expect(first?.tool_choice).toEqual({ type: "auto" });

    // The second request replays the assistant turn and answers its tool_use with the tool's real output.
    expect(systemText(second)).toBe(SYSTEM_PROMPT);
    expect(second?.messages.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
    expect(blocksOf(second?.messages[1])).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "toolu_weather", name: "get_weather", input: { city: "Oslo" } },
    ]);
    const [result] = blocksOf(second?.messages[2]);
    expect(result).toMatchObject({ type: "tool_result", tool_use_id: "toolu_weather" });
    expect(result?.is_error).toBeUndefined();
    expect(JSON.parse(String(result?.content))).toEqual({ city: "Oslo", celsius: 12 });

    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT", "TOOL", "ASSISTANT"]);
    expect(stored[3]?.parts).toEqual([{ type: "text", text: "It is 12 °C in Oslo." }]);
    expect(await streamedText(run.runId, 0)).toBe("Let me check.");
    expect(await streamedText(run.runId, 1)).toBe("It is 12 °C in Oslo.");

    // Input tokens come from message_start, output tokens from message_delta (message_start says 1).
    const steps = await database.query<{ index: number; inputTokens: number; outputTokens: number }>(
      `SELECT index, "inputTokens", "outputTokens" FROM "Step" WHERE "runId" = $1 ORDER BY index`,
      [run.runId],
    );
    expect(steps).toEqual([
      { index: 0, inputTokens: 31, outputTokens: 7 },
      { index: 1, inputTokens: 58, outputTokens: 12 },
    ]);
  });

  it("runs two tool_use blocks of one message concurrently and answers both in one user message", async () => {
    expectNaps(2);
    fake.enqueue(
      {
        type: "stream",
        toolUses: [
          { id: "toolu_a", name: "nap", input: '{"label":"a"}' },
          { id: "toolu_b", name: "nap", input: '{"label":"b"}' },
        ],
      },
      answer("Both are rested."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");
    expect((await toolCalls(run.runId)).map((call) => [call.modelCallId, call.status])).toEqual([
      ["toolu_a", "SUCCEEDED"],
      ["toolu_b", "SUCCEEDED"],
    ]);
    // Each call started before the other ended: they were running at the same time.
    expect(napIntervals).toHaveLength(2);
    const lastStart = Math.max(...napIntervals.map((interval) => interval.start));
    const firstEnd = Math.min(...napIntervals.map((interval) => interval.end));
    expect(lastStart).toBeLessThan(firstEnd);

    const sent = fake.requests[1]?.messages ?? [];
    expect(sent.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
    expect(blocksOf(sent[1]).map((block) => block.id)).toEqual(["toolu_a", "toolu_b"]);
    const answers = blocksOf(sent[2]);
    expect(answers.map((block) => [block.type, block.tool_use_id])).toEqual([
      ["tool_result", "toolu_a"],
      ["tool_result", "toolu_b"],
    ]);
    expect(answers.map((block) => JSON.parse(String(block.content)))).toEqual([{ label: "a" }, { label: "b" }]);
    expect((await messages(run.conversationId)).at(-1)?.parts).toEqual([{ type: "text", text: "Both are rested." }]);
  });

  it("refuses a tool_use whose input is not valid JSON, tells the model why, and carries on", async () => {
    fake.enqueue(
      {
        type: "stream",
        toolUses: [
          { id: "toolu_good", name: "get_weather", input: '{"city":"Oslo"}' },
          { id: "toolu_broken", name: "get_weather", input: '{"city": "Bergen"' },
        ],
      },
      answer("Oslo is 12 °C; I could not read the other request."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");

    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => [call.modelCallId, call.status])).toEqual([
      ["toolu_good", "SUCCEEDED"],
      ["toolu_broken", "REFUSED"],
    ]);
    expect(calls[1]?.error).toMatch(/invalid/i);

    const fedBack = toolResultsSent(fake.requests[1]);
    expect(JSON.parse(String(fedBack.get("toolu_good")?.content))).toEqual({ city: "Oslo", celsius: 12 });
    expect(fedBack.get("toolu_broken")).toMatchObject({
      is_error: true,
      content: expect.stringMatching(/^Refused: .*invalid/i),
    });
    // Anthropic rejects a tool_use whose input is not an object; the replayed broken call must still be one.
    const replayed = blocksOf(fake.requests[1]?.messages[1]).find((block) => block.id === "toolu_broken");
    expect(replayed?.input).toEqual(expect.any(Object));
    expect((await messages(run.conversationId)).at(-1)?.parts).toEqual([
      { type: "text", text: "Oslo is 12 °C; I could not read the other request." },
    ]);
  });

  it("retries a rate limit (429) and an overload (529), then completes with the same request", async () => {
    fake.enqueue(
      {
        type: "error",
        status: 429,
        headers: { "retry-after": "0" },
        message: "Number of request tokens has exceeded your rate limit.",
      },
      { type: "error", status: 529, message: "Overloaded" },
      answer("Sunny."),
    );
    const run = await runMessage({ config: { modelMaxRetries: 2, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("COMPLETED");
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[2]).toEqual(fake.requests[0]);
    expect((await messages(run.conversationId)).at(-1)?.parts).toEqual([{ type: "text", text: "Sunny." }]);
    expect(await streamedText(run.runId, 0)).toBe("Sunny.");
  });

  it("retries an overload reported inside the stream and keeps only the complete answer", async () => {
    fake.enqueue(
      // message_start, ping, the text block's start and "Hello ", then an `error` event.
      {
        type: "stream",
        text: ["Hello ", "world."],
        errorAfterEvents: { events: 4, errorType: "overloaded_error", message: "Overloaded" },
      },
      answer("Hello ", "world."),
    );
    const run = await runMessage({ config: { modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("COMPLETED");
    expect(fake.requests).toHaveLength(2);
    expect((await messages(run.conversationId)).map((message) => message.parts)).toEqual([
      [{ type: "text", text: "What is the weather in Oslo?" }],
      [{ type: "text", text: "Hello world." }],
    ]);
    expect(await streamedAttempts(run.runId, 0)).toEqual(["Hello ", "Hello world."]);
  });

  it("names an overload that keeps breaking the stream, after the bounded retries", async () => {
    const overloadMidAnswer = {
      type: "stream" as const,
      text: ["Hello ", "world."],
      errorAfterEvents: { events: 4, errorType: "overloaded_error" as const, message: "Overloaded" },
    };
    fake.enqueue(overloadMidAnswer, overloadMidAnswer, overloadMidAnswer);
    const run = await runMessage({ config: { modelMaxRetries: 2, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(3);
    const error = (await runRow(run.runId))?.error ?? "";
    expect(error).toMatch(/unavailable \(HTTP 529\): Overloaded \(after 3 attempts\)/);
    expect(error).not.toContain("[object Object]");
  });

  it("does not retry an authentication error reported inside the stream", async () => {
    fake.enqueue(
      {
        type: "stream",
        text: ["Hello ", "world."],
        errorAfterEvents: { events: 4, errorType: "authentication_error", message: "invalid x-api-key" },
      },
      answer("never sent"),
    );
    const run = await runMessage({ config: { modelMaxRetries: 3, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(1);
    expect((await runRow(run.runId))?.error).toMatch(/refused the credentials for anthropic:claude-sonnet-4-5/);
  });

  it("says the response broke off, not an HTTP status, when every attempt is cut", async () => {
    const cut = { type: "stream" as const, text: ["Hello ", "wor", "ld."], cutAfterEvents: 5 };
    fake.enqueue(cut, cut);
    const run = await runMessage({ config: { modelMaxRetries: 1, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    const error = (await runRow(run.runId))?.error ?? "";
    expect(error).toMatch(/broke off/);
    expect(error).not.toMatch(/HTTP 200/);
  });

  it("fails at once, without retrying, when Anthropic rejects the API key, and says so", async () => {
    process.env.ANTHROPIC_API_KEY = "sk-ant-revoked-key";
    resetEnvForTests();
    try {
      fake.enqueue(answer("never sent"));
      const run = await runMessage({ config: { modelMaxRetries: 3, modelRetryBaseMs: 5 } });
      expect(run.outcome).toBe("FAILED");
      // The fake checked the key and answered 401 authentication_error.
      expect(fake.requests).toHaveLength(1);
      expect(header(fake.requestHeaders[0], "x-api-key")).toBe("sk-ant-revoked-key");

      const { error } = (await runRow(run.runId)) ?? {};
      expect(error).toContain(MODEL_ID);
      expect(error).toMatch(/refused the credentials/);
      expect(error).toMatch(/API key/);
      expect(error).not.toContain("sk-ant-revoked-key");
      // The live view shows the same message as the run's error.
      const statuses = (await listRunEvents(run.runId, 0))
        .map(({ data }) => data)
        .filter((data) => data.type === "run-status");
      expect(statuses.at(-1)).toEqual({ type: "run-status", status: "FAILED", error });
    } finally {
      process.env.ANTHROPIC_API_KEY = API_KEY;
      resetEnvForTests();
    }
  });

  it("fails at once with a clear message when Anthropic does not know the model (404)", async () => {
    fake.enqueue({ type: "error", status: 404, message: `model: ${MODEL_NAME}` }, answer("never sent"));
    const run = await runMessage({ config: { modelMaxRetries: 3, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(1);
    expect((await runRow(run.runId))?.error).toMatch(/does not know the model anthropic:claude-sonnet-4-5/);
  });

  it("retries a stream cut mid-answer and does not duplicate the text", async () => {
    fake.enqueue(
      // message_start, ping, the text block's start, "Hello " and "wor" arrive; then the connection drops.
      { type: "stream", text: ["Hello ", "wor", "ld."], cutAfterEvents: 5 },
      answer("Hello ", "world."),
    );
    const run = await runMessage({ config: { modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("COMPLETED");
    expect(fake.requests).toHaveLength(2);
    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT"]);
    expect(stored[1]?.parts).toEqual([{ type: "text", text: "Hello world." }]);
    // The viewer saw the cut attempt's text, then the step restart: never "Hello worHello world.".
    expect(await streamedAttempts(run.runId, 0)).toEqual(["Hello wor", "Hello world."]);
  });
});

describe("the Anthropic provider configured in the console", () => {
  it("sends the console's key to the console's base URL and model", async () => {
    const consoleKey = "sk-ant-console-key";
    const consoleFake = await startFakeAnthropicServer({ apiKey: consoleKey });
    installStoredModelConfig(
      {
        providers: [
          {
            provider: "anthropic",
            enabled: true,
            baseUrl: consoleFake.baseUrl,
            apiKey: consoleKey,
            models: ["claude-opus-4-1"],
          },
        ],
        defaultModelId: null,
      },
      "anthropic-console-test",
    );
    try {
      consoleFake.enqueue(
        { type: "stream", toolUses: [{ id: "toolu_weather", name: "get_weather", input: '{"city":"Oslo"}' }] },
        answer("It is 12 degrees in Oslo."),
      );
      const run = await runMessage({ modelId: "anthropic:claude-opus-4-1" });
      expect(run.outcome).toBe("COMPLETED");
      expect(fake.requests).toHaveLength(0);
      expect(consoleFake.requests.map((request) => request.model)).toEqual(["claude-opus-4-1", "claude-opus-4-1"]);
      expect(consoleFake.requestHeaders.map((headers) => header(headers, "x-api-key"))).toEqual([
        consoleKey,
        consoleKey,
      ]);
      expect(String(toolResultsSent(consoleFake.requests[1]).get("toolu_weather")?.content)).toContain('"celsius":12');
    } finally {
      installStoredModelConfig({ providers: [], defaultModelId: null }, "");
      await consoleFake.stop();
    }
  });
});
