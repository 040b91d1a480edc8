/**
 * The run the tracing tests follow, shared by the test process and the worker process
 * it starts (traced-worker.ts): step 0 asks for two reads (run in parallel) and a
 * sensitive read (waits for a reviewer); once approved, step 1 passes the released value
 * to a tool that fails repeating it (so a leak would show in a span's status); step 2
 * answers in text.
 */
import type { LanguageModelV4, LanguageModelV4Prompt, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { z } from "zod";
import { type AnyTool, defineTool } from "../tools/define-tool";

export const TRACE_SECRET = "sk-live-Trace4242-SECRET-value";
export const TRACE_MODEL_ID = "demo";

const readA = defineTool({
  name: "read_a",
  description: "Reads A",
  input: z.object({}),
  output: z.object({ a: z.number() }),
  risk: "READ",
  async execute() {
    return { a: 1 };
  },
});

const readB = defineTool({
  name: "read_b",
  description: "Reads B",
  input: z.object({}),
  output: z.object({ b: z.number() }),
  risk: "READ",
  async execute() {
    return { b: 2 };
  },
});

const readSecret = defineTool({
  name: "read_secret",
  description: "Reads the deploy key",
  input: z.object({}),
  output: z.object({ key: z.string() }),
  risk: "SENSITIVE_READ",
  sensitiveValues: (output) => [output.key],
  async execute() {
    return { key: TRACE_SECRET };
  },
});

const useKey = defineTool({
  name: "use_key",
  description: "Uses a key",
  input: z.object({ key: z.string() }),
  output: z.object({ ok: z.boolean() }),
  risk: "READ",
  async execute(input) {
    throw new Error(`the service refused key ${input.key}`);
  },
});

export function traceScenarioTools(): AnyTool[] {
  return [readA, readB, readSecret, useKey];
}

function toolTurns(prompt: LanguageModelV4Prompt): number {
  return prompt.filter((message) => message.role === "tool").length;
}

function releasedKey(prompt: LanguageModelV4Prompt): string {
  for (const message of prompt) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type === "tool-result" && part.toolName === "read_secret" && part.output.type === "json") {
        return String((part.output.value as { key?: string }).key ?? "");
      }
    }
  }
  return "";
}

const USAGE = {
  inputTokens: { total: 120, noCache: 120, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 30, text: 30, reasoning: 0 },
};

export function traceScenarioModel(): LanguageModelV4 {
  const plan = (prompt: LanguageModelV4Prompt) => {
    const turns = toolTurns(prompt);
    if (turns === 0) {
      return {
        text: "Reading.",
        calls: [
          { toolCallId: "call-a", toolName: "read_a", input: "{}" },
          { toolCallId: "call-b", toolName: "read_b", input: "{}" },
          { toolCallId: "call-secret", toolName: "read_secret", input: "{}" },
        ],
      };
    }
    if (turns === 1) {
      return {
        text: "Using the key.",
        calls: [{ toolCallId: "call-use", toolName: "use_key", input: JSON.stringify({ key: releasedKey(prompt) }) }],
      };
    }
    return { text: "All done.", calls: [] };
  };
  return {
    specificationVersion: "v4",
    provider: "airlock-test",
    modelId: "trace-model",
    supportedUrls: {},
    async doGenerate() {
      throw new Error("the engine streams");
    },
    async doStream(callOptions) {
      const { text, calls } = plan(callOptions.prompt);
      const parts: LanguageModelV4StreamPart[] = [
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "t" },
        { type: "text-delta", id: "t", delta: text },
        { type: "text-end", id: "t" },
        ...calls.map((call) => ({ type: "tool-call" as const, ...call })),
        {
          type: "finish",
          finishReason: { unified: calls.length > 0 ? "tool-calls" : "stop", raw: undefined },
          usage: USAGE,
        },
      ];
      return {
        stream: new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}
