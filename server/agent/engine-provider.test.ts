/**
 * The engine against the real OpenAI-compatible provider, resolved through the model
 * registry and talking HTTP + SSE to a local fake server, with the real database. What a
 * model does wrong here (bad arguments, unknown tools, errors, stalls, cut streams) is
 * what real providers do; each test checks what the user would see afterwards.
 */
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { resetEnvForTests } from "../env";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { type ChatRequestBody, type FakeOpenAIServer, startFakeOpenAIServer } from "../testing/fake-openai-server";
import { createTestConversation, createTestUser } from "../testing/fixtures";
import {
  expectNaps,
  getWeather,
  nap,
  napIntervals,
  runRows,
  runThroughRegistry,
  streamedText,
} from "../testing/provider-runs";
import { type AnyTool, defineTool } from "../tools/define-tool";
import { cancelRun } from "./conversations";

const MODEL_ID = "compatible:fake-model";

let database: TestDatabase;
let fake: FakeOpenAIServer;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeOpenAIServer();
  // The registry reads its providers from the environment, as it does in production.
  process.env.OPENAI_COMPATIBLE_BASE_URL = fake.baseUrl;
  process.env.OPENAI_COMPATIBLE_API_KEY = "test-key";
  process.env.OPENAI_COMPATIBLE_MODELS = "fake-model";
  resetEnvForTests();
});

afterEach(() => fake.reset());

afterAll(async () => {
  await fake?.stop();
  await database?.drop();
});

// --- tools -------------------------------------------------------------------------

/** Resolved by the tool when it starts, so a test can act while it is running. */
let hangStarted: () => void = () => {};
const hang = defineTool({
  name: "hang",
  description: "Waits until it is stopped",
  input: z.object({}),
  output: z.object({}),
  risk: "READ",
  execute(_input, context) {
    hangStarted();
    return new Promise((_resolve, reject) => {
      context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true });
    });
  },
});

const explode = defineTool({
  name: "explode",
  description: "Always fails",
  input: z.object({}),
  output: z.object({}),
  risk: "READ",
  async execute() {
    throw new Error("the disk is on fire");
  },
});

const countThings = defineTool({
  name: "count_things",
  description: "Counts things, but answers with the wrong type",
  input: z.object({}),
  output: z.object({ count: z.number() }),
  risk: "READ",
  async execute() {
    return { count: "many" } as unknown as { count: number };
  },
});

const ALL_TOOLS: AnyTool[] = [getWeather, nap, hang, explode, countThings];

// --- helpers -----------------------------------------------------------------------

const runMessage = (options: Omit<Parameters<typeof runThroughRegistry>[0], "modelId" | "tools">) =>
  runThroughRegistry({ modelId: MODEL_ID, tools: ALL_TOOLS, ...options });
const { runRow, toolCalls, messages } = runRows(() => database);

/** The tool messages the model was sent in one request, by the id of the call they answer. */
function toolMessagesSent(request: ChatRequestBody | undefined): Map<string, string> {
  return new Map(
    (request?.messages ?? [])
      .filter((message) => message.role === "tool")
      .map((message) => [message.tool_call_id ?? "", String(message.content)]),
  );
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const answer = (...text: string[]) => ({ type: "stream" as const, text });

// --- tests -------------------------------------------------------------------------

describe("engine with the OpenAI-compatible provider", () => {
  it("calls a tool, feeds its result back, answers, and records usage per step", async () => {
    fake.enqueue(
      {
        type: "stream",
        text: ["Let me check."],
        toolCalls: [{ id: "call_weather", name: "get_weather", arguments: '{"city":"Oslo"}' }],
        tokenDelayMs: 5,
        usage: { promptTokens: 31, completionTokens: 7 },
      },
      {
        type: "stream",
        text: ["It is ", "12 °C ", "in Oslo."],
        tokenDelayMs: 5,
        usage: { promptTokens: 58, completionTokens: 12 },
      },
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");

    expect(fake.requests).toHaveLength(2);
    const [first, second] = fake.requests;
    expect(first?.model).toBe("fake-model");
    expect(first?.stream).toBe(true);
    expect(first?.tools?.map((tool) => tool.function.name)).toEqual(ALL_TOOLS.map((tool) => tool.name));
    expect(first?.messages.at(-1)).toEqual({ role: "user", content: "What is the weather in Oslo?" });
    // The second request replays the call and carries the tool's real output.
    const assistant = second?.messages.find((message) => message.role === "assistant");
    expect(assistant?.tool_calls).toEqual([
      { id: "call_weather", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
    ]);
    expect(JSON.parse(toolMessagesSent(second).get("call_weather") ?? "null")).toEqual({ city: "Oslo", celsius: 12 });

    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT", "TOOL", "ASSISTANT"]);
    expect(stored[3]?.parts).toEqual([{ type: "text", text: "It is 12 °C in Oslo." }]);

    const steps = await database.query<{ index: number; inputTokens: number; outputTokens: number; latencyMs: number }>(
      `SELECT index, "inputTokens", "outputTokens", "latencyMs" FROM "Step" WHERE "runId" = $1 ORDER BY index`,
      [run.runId],
    );
    expect(steps.map(({ index, inputTokens, outputTokens }) => ({ index, inputTokens, outputTokens }))).toEqual([
      { index: 0, inputTokens: 31, outputTokens: 7 },
      { index: 1, inputTokens: 58, outputTokens: 12 },
    ]);
    for (const step of steps) expect(step.latencyMs).toBeGreaterThan(0);
  });

  it("runs the tool calls of one step concurrently", async () => {
    expectNaps(3);
    fake.enqueue(
      {
        type: "stream",
        toolCalls: ["a", "b", "c"].map((label) => ({ name: "nap", arguments: JSON.stringify({ label }) })),
      },
      answer("All three are rested."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");
    expect((await toolCalls(run.runId)).map((call) => call.status)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    expect(napIntervals).toHaveLength(3);
    // Every call started before any of them ended: they were running at the same time.
    const lastStart = Math.max(...napIntervals.map((interval) => interval.start));
    const firstEnd = Math.min(...napIntervals.map((interval) => interval.end));
    expect(lastStart).toBeLessThan(firstEnd);
    expect(toolMessagesSent(fake.requests[1]).size).toBe(3);
  });

  it("refuses calls with malformed or invalid arguments, tells the model why, and carries on", async () => {
    fake.enqueue(
      {
        type: "stream",
        toolCalls: [
          { id: "call_good", name: "get_weather", arguments: '{"city":"Oslo"}' },
          { id: "call_broken", name: "get_weather", arguments: '{"city": "Bergen"' },
          { id: "call_wrong_type", name: "get_weather", arguments: '{"city": 42}' },
        ],
      },
      answer("Oslo is 12 °C; I could not read the other requests."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");

    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => [call.modelCallId, call.status])).toEqual([
      ["call_good", "SUCCEEDED"],
      ["call_broken", "REFUSED"],
      ["call_wrong_type", "REFUSED"],
    ]);
    expect(calls[1]?.error).toMatch(/invalid/i);
    expect(calls[2]?.error).toMatch(/invalid/i);

    const fedBack = toolMessagesSent(fake.requests[1]);
    expect(JSON.parse(fedBack.get("call_good") ?? "null")).toEqual({ city: "Oslo", celsius: 12 });
    expect(fedBack.get("call_broken")).toMatch(/^Refused: .*invalid/i);
    expect(fedBack.get("call_wrong_type")).toMatch(/^Refused: .*invalid/i);
  });

  it("refuses a tool that does not exist, naming the tools that do, and carries on", async () => {
    fake.enqueue(
      { type: "stream", toolCalls: [{ id: "call_rockets", name: "launch_rockets", arguments: '{"count":3}' }] },
      answer("I cannot launch rockets."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");
    const [call] = await toolCalls(run.runId);
    expect(call).toMatchObject({ toolName: "launch_rockets", status: "REFUSED" });
    expect(call?.error).toContain("launch_rockets");
    expect(call?.error).toContain("get_weather");
    const fedBack = toolMessagesSent(fake.requests[1]).get("call_rockets");
    expect(fedBack).toMatch(/^Refused: /);
    expect(fedBack).toContain("get_weather");
  });

  it("retries after a 429 and completes", async () => {
    fake.enqueue(
      {
        type: "error",
        status: 429,
        headers: { "retry-after": "0" },
        body: { error: { message: "Rate limit reached", type: "rate_limit_exceeded" } },
      },
      answer("Sunny."),
    );
    const run = await runMessage({ config: { modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("COMPLETED");
    expect(fake.requests).toHaveLength(2);
    expect((await messages(run.conversationId)).at(-1)?.parts).toEqual([{ type: "text", text: "Sunny." }]);
  });

  it("fails with a clear message after a bounded number of retries when the provider keeps failing", async () => {
    fake.enqueue(
      ...Array.from({ length: 10 }, () => ({
        type: "error" as const,
        status: 500,
        body: { error: { message: "The server had an error" } },
      })),
    );
    const run = await runMessage({ config: { modelMaxRetries: 2, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(3);
    const { error } = (await runRow(run.runId)) ?? {};
    expect(error).toContain(MODEL_ID);
    expect(error).toMatch(/unavailable \(HTTP 500\)/);
    expect(error).toMatch(/after 3 attempts/);
  });

  it("fails at once, without retrying, when the provider rejects the credentials", async () => {
    fake.enqueue(
      {
        type: "error",
        status: 401,
        body: { error: { message: "Incorrect API key provided", code: "invalid_api_key" } },
      },
      answer("never sent"),
    );
    const run = await runMessage({ config: { modelMaxRetries: 3, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(1);
    const { error } = (await runRow(run.runId)) ?? {};
    expect(error).toMatch(/refused the credentials/);
    expect(error).toMatch(/API key/);
  });

  it("keeps the conversation out of the console when the provider fails", async () => {
    // Provider errors carry the whole request body; only our redacting logger may write them.
    const consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      fake.enqueue({ type: "error", status: 400, body: { error: { message: "context length exceeded" } } });
      const run = await runMessage({ text: "my account number is 4000-1234" });
      expect(run.outcome).toBe("FAILED");
      const printed = consoleError.mock.calls.map((call) => inspect(call, { depth: 10 })).join("\n");
      expect(printed).not.toContain("4000-1234");
    } finally {
      consoleError.mockRestore();
    }
  });

  it("retries a stream cut mid-answer and keeps only the complete answer", async () => {
    fake.enqueue(
      // The role chunk and two tokens arrive, then the connection drops.
      { type: "stream", text: ["Hello ", "wor", "ld."], cutAfterChunks: 3 },
      answer("Hello ", "world."),
    );
    const run = await runMessage({ config: { modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("COMPLETED");
    expect(fake.requests).toHaveLength(2);
    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT"]);
    expect(stored[1]?.parts).toEqual([{ type: "text", text: "Hello world." }]);
    // The live view restarts the step on retry, so the viewer is not shown "Hello worHello world.".
    expect(await streamedText(run.runId, 0)).toBe("Hello world.");
  });

  it("gives up on a model that stalls between tokens, with a clear message", async () => {
    // The idle clock starts with the request, so it must leave a loaded machine time to deliver
    // the request to the fake (150 ms did not: the fake then saw one request of two attempts);
    // the stall between tokens stays far longer than that.
    const slow = { type: "stream" as const, text: ["The ", "answer ", "is ", "slow."], tokenDelayMs: 10_000 };
    fake.enqueue(slow, slow, slow);
    const run = await runMessage({ config: { modelIdleTimeoutMs: 1_500, modelMaxRetries: 1, modelRetryBaseMs: 5 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(2);
    const { error } = (await runRow(run.runId)) ?? {};
    expect(error).toMatch(/sent nothing for 1500 ms/);
    expect(error).toMatch(/after 2 attempts/);
  });

  it("fails a tool call that passes its timeout while the others in the step succeed", async () => {
    fake.enqueue(
      {
        type: "stream",
        toolCalls: [
          { id: "call_hang", name: "hang", arguments: "{}" },
          { id: "call_weather", name: "get_weather", arguments: '{"city":"Oslo"}' },
        ],
      },
      answer("One of them took too long."),
    );
    const run = await runMessage({ config: { toolTimeoutMs: 150 } });
    expect(run.outcome).toBe("COMPLETED");
    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => [call.toolName, call.status])).toEqual([
      ["hang", "FAILED"],
      ["get_weather", "SUCCEEDED"],
    ]);
    expect(calls[0]?.error).toMatch(/timed out after 150 ms/);
    expect(toolMessagesSent(fake.requests[1]).get("call_hang")).toMatch(/^Error: .*timed out after 150 ms/);
  });

  it("reports a tool that throws as a failed call and carries on", async () => {
    fake.enqueue(
      { type: "stream", toolCalls: [{ id: "call_explode", name: "explode", arguments: "{}" }] },
      answer("The tool failed."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");
    const [call] = await toolCalls(run.runId);
    expect(call).toMatchObject({ status: "FAILED", error: "the disk is on fire" });
    expect(toolMessagesSent(fake.requests[1]).get("call_explode")).toBe("Error: the disk is on fire");
  });

  it("fails a call whose output does not match the tool's output schema", async () => {
    fake.enqueue(
      { type: "stream", toolCalls: [{ id: "call_count", name: "count_things", arguments: "{}" }] },
      answer("The tool answered nonsense."),
    );
    const run = await runMessage({});
    expect(run.outcome).toBe("COMPLETED");
    const [call] = await toolCalls(run.runId);
    expect(call?.status).toBe("FAILED");
    expect(call?.error).toMatch(/count_things returned invalid output: count:/);
    expect(call?.result).toBeNull();
    // The bad value itself never reaches the model, only the explanation.
    const fedBack = toolMessagesSent(fake.requests[1]).get("call_count");
    expect(fedBack).toMatch(/^Error: count_things returned invalid output/);
    expect(fedBack).not.toContain("many");
  });

  it("stops a model that keeps calling tools at the step limit", async () => {
    const again = {
      type: "stream" as const,
      toolCalls: [{ name: "get_weather", arguments: '{"city":"Oslo"}' }],
    };
    fake.enqueue(again, again, again);
    const run = await runMessage({ config: { maxSteps: 2 } });
    expect(run.outcome).toBe("FAILED");
    expect(fake.requests).toHaveLength(2);
    expect((await runRow(run.runId))?.error).toMatch(/limit of 2 steps/);
    // Both steps' calls ran and their results are stored, so the conversation can go on.
    expect((await toolCalls(run.runId)).map((call) => call.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect((await messages(run.conversationId)).map((message) => message.role)).toEqual([
      "USER",
      "ASSISTANT",
      "TOOL",
      "ASSISTANT",
      "TOOL",
    ]);
  });

  it("cancels mid-stream, keeps the partial answer, and the conversation goes on", async () => {
    const tokens = Array.from({ length: 40 }, (_, index) => `word${index} `);
    fake.enqueue({ type: "stream", text: tokens, tokenDelayMs: 50 });
    const run = await runMessage({
      during: async ({ runId, userId }) => {
        await waitFor(async () => (await streamedText(runId, 0)).length > 0, "the first tokens");
        await cancelRun({ runId, userId });
      },
    });
    expect(run.outcome).toBe("CANCELLED");
    expect((await runRow(run.runId))?.status).toBe("CANCELLED");

    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT"]);
    const partial = stored[1]?.parts[0]?.text ?? "";
    expect(partial.length).toBeGreaterThan(0);
    expect(tokens.join("").slice(0, partial.length)).toBe(partial);
    expect(partial.length).toBeLessThan(tokens.join("").length);

    // The next message is answered with the partial answer in the history.
    fake.reset();
    fake.enqueue(answer("Sorry, go on."));
    const next = await runMessage({
      text: "continue",
      conversation: { userId: run.userId, conversationId: run.conversationId },
    });
    expect(next.outcome).toBe("COMPLETED");
    expect(fake.requests[0]?.messages.slice(-3)).toEqual([
      { role: "user", content: "What is the weather in Oslo?" },
      { role: "assistant", content: partial },
      { role: "user", content: "continue" },
    ]);
  });

  it("cancels during a retried stream and keeps only the retry's partial text", async () => {
    const tokens = Array.from({ length: 40 }, (_, index) => `word${index} `);
    fake.enqueue(
      { type: "stream", text: tokens, cutAfterChunks: 4 },
      { type: "stream", text: tokens, tokenDelayMs: 50 },
    );
    const run = await runMessage({
      config: { modelRetryBaseMs: 5 },
      during: async ({ runId, userId }) => {
        await waitFor(async () => fake.requests.length === 2, "the retry");
        await waitFor(async () => (await streamedText(runId, 0)).length > 0, "the retry's first tokens");
        await cancelRun({ runId, userId });
      },
    });
    expect(run.outcome).toBe("CANCELLED");
    const stored = await messages(run.conversationId);
    const partial = stored[1]?.parts[0]?.text ?? "";
    expect(partial.length).toBeGreaterThan(0);
    // Not "word0 word1 word2 word0 …": the cut attempt's text is not kept twice.
    expect(tokens.join("").slice(0, partial.length)).toBe(partial);
  });

  it("cancels mid-tool: the tool is stopped, the run is cancelled, and the history stays valid", async () => {
    fake.enqueue({ type: "stream", toolCalls: [{ id: "call_hang", name: "hang", arguments: "{}" }] });
    const started = new Promise<void>((resolve) => {
      hangStarted = resolve;
    });
    const run = await runMessage({
      during: async ({ runId, userId }) => {
        await started;
        await cancelRun({ runId, userId });
      },
    });
    expect(run.outcome).toBe("CANCELLED");
    const [call] = await toolCalls(run.runId);
    expect(call?.status).toBe("CANCELLED");

    // A provider rejects a tool call without an answer; the next request must carry one.
    fake.reset();
    fake.enqueue(answer("Understood."));
    const next = await runMessage({
      text: "never mind",
      conversation: { userId: run.userId, conversationId: run.conversationId },
    });
    expect(next.outcome).toBe("COMPLETED");
    const sent = fake.requests[0]?.messages ?? [];
    const assistantIndex = sent.findIndex((message) => message.role === "assistant");
    expect(sent[assistantIndex]?.tool_calls).toEqual([
      expect.objectContaining({ id: "call_hang", function: { name: "hang", arguments: "{}" } }),
    ]);
    expect(sent[assistantIndex + 1]).toMatchObject({ role: "tool", tool_call_id: "call_hang" });
    expect(sent.at(-1)).toEqual({ role: "user", content: "never mind" });
  });
});

describe("the OpenAI provider", () => {
  it("drives Chat Completions through the same engine path, choosing the model by configuration only", async () => {
    process.env.OPENAI_API_KEY = "sk-test-openai";
    process.env.OPENAI_BASE_URL = fake.baseUrl;
    resetEnvForTests();
    try {
      fake.enqueue(
        { type: "stream", toolCalls: [{ id: "call_weather", name: "get_weather", arguments: '{"city":"Oslo"}' }] },
        answer("It is 12 degrees in Oslo."),
      );
      const user = await createTestUser();
      const conversation = await createTestConversation(user.id, "openai:gpt-4.1");
      const run = await runMessage({ conversation: { userId: user.id, conversationId: conversation.id } });
      expect(run.outcome).toBe("COMPLETED");
      expect(fake.requests.map((request) => request.model)).toEqual(["gpt-4.1", "gpt-4.1"]);
      expect(toolMessagesSent(fake.requests[1]).get("call_weather")).toContain('"celsius":12');
      const stored = await messages(run.conversationId);
      expect(stored.at(-1)?.parts[0]?.text).toBe("It is 12 degrees in Oslo.");
    } finally {
      delete process.env.OPENAI_API_KEY;
      delete process.env.OPENAI_BASE_URL;
      resetEnvForTests();
    }
  });
});
