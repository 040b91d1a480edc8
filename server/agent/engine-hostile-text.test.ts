/**
 * A hostile model through the real OpenAI-compatible provider (the local fake server):
 * text and tool arguments with NUL bytes and lone surrogates, which PostgreSQL's text and
 * jsonb cannot store. The run must not crash: text is stored with U+FFFD in their place,
 * and a call whose arguments carry them is refused with a clear error the model reads.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { resetEnvForTests } from "../env";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { type ChatRequestBody, type FakeOpenAIServer, startFakeOpenAIServer } from "../testing/fake-openai-server";
import { getWeather, runRows, runThroughRegistry, streamedText } from "../testing/provider-runs";
import { defineTool } from "../tools/define-tool";

const MODEL_ID = "compatible:fake-model";

let database: TestDatabase;
let fake: FakeOpenAIServer;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeOpenAIServer();
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

const { runRow, toolCalls, messages } = runRows(() => database);

function toolMessagesSent(request: ChatRequestBody | undefined): Map<string, string> {
  return new Map(
    (request?.messages ?? [])
      .filter((message) => message.role === "tool")
      .map((message) => [message.tool_call_id ?? "", String(message.content)]),
  );
}

describe("a model that sends text PostgreSQL cannot store", () => {
  it("stores its text with U+FFFD for NUL and lone surrogates, streams the same, and completes", async () => {
    fake.enqueue({ type: "stream", text: ["Hel\u0000lo ", "wor\ud800ld ", "\udc00and 😀 stays"] });
    const run = await runThroughRegistry({ modelId: MODEL_ID, tools: [getWeather] });
    expect(run.outcome).toBe("COMPLETED");
    const expected = "Hel\ufffdlo wor\ufffdld \ufffdand 😀 stays";
    const stored = await messages(run.conversationId);
    expect(stored.map((message) => message.role)).toEqual(["USER", "ASSISTANT"]);
    expect(stored[1]?.parts).toEqual([{ type: "text", text: expected }]);
    expect(await streamedText(run.runId, 0)).toBe(expected);
  });

  it("refuses a call whose arguments carry NUL or lone surrogates, tells the model why, and carries on", async () => {
    fake.enqueue(
      {
        type: "stream",
        text: ["Checking\u0000."],
        toolCalls: [
          { id: "call_nul", name: "get_weather", arguments: '{"city":"Os\\u0000lo"}' },
          { id: "call_surrogate", name: "get_weather", arguments: '{"city":"Oslo\\ud800"}' },
          { id: "call_key", name: "get_weather", arguments: '{"city":"Oslo","\\u0000":1}' },
          { id: "call_good", name: "get_weather", arguments: '{"city":"Oslo"}' },
        ],
      },
      { type: "stream", text: ["Oslo is 12 °C; the other requests were unreadable."] },
    );
    const run = await runThroughRegistry({ modelId: MODEL_ID, tools: [getWeather] });
    expect(run.outcome).toBe("COMPLETED");
    expect((await runRow(run.runId))?.status).toBe("COMPLETED");

    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => [call.modelCallId, call.status])).toEqual([
      ["call_nul", "REFUSED"],
      ["call_surrogate", "REFUSED"],
      ["call_key", "REFUSED"],
      ["call_good", "SUCCEEDED"],
    ]);
    for (const call of calls.slice(0, 3)) expect(call.error).toMatch(/NUL|unpaired/);
    // The model reads why, for each refused call, in its next request.
    const sent = toolMessagesSent(fake.requests[1]);
    expect(sent.get("call_nul")).toMatch(/NUL characters/);
    expect(sent.get("call_surrogate")).toMatch(/unpaired UTF-16 surrogates/);
    expect(sent.get("call_key")).toMatch(/NUL characters/);
    expect(JSON.parse(sent.get("call_good") ?? "null")).toEqual({ city: "Oslo", celsius: 12 });

    // What was stored of the refused arguments is the model's text with U+FFFD in place: the record stays readable.
    const stored = await database.query<{ modelCallId: string; args: unknown }>(
      `SELECT "modelCallId", args FROM "ToolCall" WHERE "runId" = $1 ORDER BY position`,
      [run.runId],
    );
    expect(stored.map((row) => row.args)).toEqual([
      { city: "Os\ufffdlo" },
      { city: "Oslo\ufffd" },
      { city: "Oslo", "\ufffd": 1 },
      { city: "Oslo" },
    ]);
    const transcript = await messages(run.conversationId);
    expect(transcript.at(-1)?.parts).toEqual([
      { type: "text", text: "Oslo is 12 °C; the other requests were unreadable." },
    ]);
  });

  it("refuses a NUL in a tool's name, raw NUL in unparsable arguments and nesting deeper than jsonb walks, and carries on", async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`;
    fake.enqueue(
      {
        type: "stream",
        toolCalls: [
          { id: "call_name", name: "get_weather\u0000", arguments: '{"city":"Oslo"}' },
          { id: "call_raw", name: "get_weather", arguments: '{"city":"Os\u0000lo' },
          { id: "call_deep", name: "get_weather", arguments: deep },
        ],
      },
      { type: "stream", text: ["None of those worked."] },
    );
    const run = await runThroughRegistry({ modelId: MODEL_ID, tools: [getWeather] });
    expect(run.outcome).toBe("COMPLETED");
    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => [call.modelCallId, call.toolName, call.status])).toEqual([
      ["call_name", "get_weather\ufffd", "REFUSED"],
      ["call_raw", "get_weather", "REFUSED"],
      ["call_deep", "get_weather", "REFUSED"],
    ]);
    expect(calls[1]?.error).toMatch(/not valid JSON/);
    expect(calls[2]?.error).toMatch(/Nested at most 32 levels deep/);
    const sent = toolMessagesSent(fake.requests[1]);
    expect(sent.get("call_deep")).toMatch(/Nested at most 32 levels deep/);
  });

  it("stores a tool's output with NUL, lone surrogates and a pair cut by the cap replaced, and carries on", async () => {
    const dump = defineTool({
      name: "dump",
      description: "Prints what a file holds",
      input: z.object({ size: z.enum(["small", "large"]) }),
      output: z.object({ text: z.string() }),
      risk: "READ",
      async execute(input) {
        return { text: input.size === "small" ? "a\u0000b\ud800c" : `${"x".repeat(20)}😀 and more` };
      },
    });
    fake.enqueue(
      {
        type: "stream",
        toolCalls: [
          { id: "call_small", name: "dump", arguments: '{"size":"small"}' },
          { id: "call_large", name: "dump", arguments: '{"size":"large"}' },
        ],
      },
      { type: "stream", text: ["Done."] },
    );
    // {"text":" is 9 characters: a cap of 30 cuts the emoji's surrogate pair in half.
    const run = await runThroughRegistry({ modelId: MODEL_ID, tools: [dump], config: { toolOutputCapChars: 30 } });
    expect(run.outcome).toBe("COMPLETED");
    const calls = await toolCalls(run.runId);
    expect(calls.map((call) => call.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(calls[0]?.result).toEqual({ text: "a\ufffdb\ufffdc" });
    expect(calls[1]?.result).toEqual({
      truncated: true,
      originalChars: 42,
      preview: `{"text":"${"x".repeat(20)}\ufffd`,
    });
  });
});
