/**
 * A model for tests and the MCP benchmark: a user message `call <tool> <json arguments>`
 * becomes exactly that tool call; once the results are in, it answers "done". It speaks the
 * AI SDK's language-model interface, so it drives the engine's real path.
 */
import type { LanguageModelV4, LanguageModelV4Prompt, LanguageModelV4StreamPart } from "@ai-sdk/provider";

function plan(prompt: LanguageModelV4Prompt): { toolName: string; input: string } | null {
  const last = prompt[prompt.length - 1];
  if (last?.role !== "user") return null;
  const text = last.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  const match = /^call (\S+) (\{.*\})$/s.exec(text.trim());
  return match?.[1] && match[2] ? { toolName: match[1], input: match[2] } : null;
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

export function createToolCallModel(): LanguageModelV4 {
  let counter = 0;
  return {
    specificationVersion: "v4",
    provider: "airlock-test",
    modelId: "tool-call",
    supportedUrls: {},
    async doGenerate() {
      throw new Error("the tool-call model only streams");
    },
    async doStream(options) {
      const call = plan(options.prompt);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
      if (call) {
        const id = `call-${++counter}`;
        parts.push({ type: "tool-call", toolCallId: id, toolName: call.toolName, input: call.input });
      } else {
        parts.push(
          { type: "text-start", id: "t" },
          { type: "text-delta", id: "t", delta: "done" },
          { type: "text-end", id: "t" },
        );
      }
      parts.push({ type: "finish", finishReason: { unified: call ? "tool-calls" : "stop", raw: undefined }, usage });
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
