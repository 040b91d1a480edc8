/**
 * The built-in demo model: deterministic, offline, streaming with a realistic cadence.
 * It implements the AI SDK's language-model interface, so it drives exactly the same
 * engine path (streaming, tool calls, tool results) as a real provider.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { abortableSleep } from "../shared/abortable-sleep";
import { scriptReply, scriptToolCalls, summarizeToolOutcomes, type ToolOutcome } from "./demo-scripts";

export const DEMO_MODEL_ID = "demo";

export interface DemoModelOptions {
  /** Pause between streamed tokens; 0 streams everything at once (benchmarks). */
  tokenDelayMs: number;
  /**
   * bench:load: a message `clock <n> tokens every <ms> ms` is answered with n tokens at that
   * cadence, each token the wall-clock time it was emitted (ms since the epoch), so a
   * subscriber in another process can tell how long each token took to reach it.
   */
  clockTokens?: boolean;
}

/** `clock 400 tokens every 50 ms`: what a bench:load conversation asks the demo model for. */
const CLOCK_REQUEST = /^clock (\d{1,5}) tokens every (\d{1,4}) ms$/;

function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let index = prompt.length - 1; index >= 0; index--) {
    const message = prompt[index];
    if (message?.role === "user") {
      return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
    }
  }
  return "";
}

/** Tool results that arrived after the last assistant message, i.e. what to report on now. */
function pendingToolOutcomes(prompt: LanguageModelV4Prompt): ToolOutcome[] | undefined {
  const last = prompt[prompt.length - 1];
  if (last?.role !== "tool") return undefined;
  return last.content.flatMap((part): ToolOutcome[] => {
    if (part.type !== "tool-result") return [];
    const output = part.output;
    switch (output.type) {
      case "text":
      case "json":
        return [{ toolName: part.toolName, output: output.value, isError: false }];
      case "error-text":
      case "error-json":
        return [{ toolName: part.toolName, output: output.value, isError: true }];
      case "execution-denied":
        return [{ toolName: part.toolName, output: output.reason ?? "denied", isError: true }];
      default:
        return [{ toolName: part.toolName, output: "unsupported result", isError: true }];
    }
  });
}

/** The tokens of a reply, each handed over at `start + k × delayMs` (the cadence does not drift when a token is late). */
async function* pacedTokens(reply: Plan, delayMs: number, signal: AbortSignal | undefined): AsyncGenerator<string> {
  const tokens = reply.clock ? Array.from({ length: reply.clock.tokens }, () => "") : tokenize(reply.text);
  const cadence = reply.clock ? reply.clock.everyMs : delayMs;
  const start = performance.now();
  for (let index = 0; index < tokens.length; index++) {
    if (cadence > 0) {
      const wait = start + (index + 1) * cadence - performance.now();
      if (wait > 0) await abortableSleep(wait, signal);
      else signal?.throwIfAborted();
    }
    yield reply.clock ? ` ${(performance.timeOrigin + performance.now()).toFixed(3)}` : (tokens[index] ?? "");
  }
}

/** Splits text into word-sized tokens, keeping whitespace with the following word. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function usage(inputChars: number, outputChars: number) {
  const inputTokens = Math.ceil(inputChars / 4);
  const outputTokens = Math.ceil(outputChars / 4);
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

interface Plan {
  text: string;
  toolCalls: { toolName: string; input: Record<string, unknown> }[];
  clock?: { tokens: number; everyMs: number };
}

function plan(options: LanguageModelV4CallOptions, clockTokens: boolean): Plan {
  const offered = new Set((options.tools ?? []).flatMap((tool) => (tool.type === "function" ? [tool.name] : [])));
  const outcomes = pendingToolOutcomes(options.prompt);
  if (outcomes) return { text: summarizeToolOutcomes(outcomes), toolCalls: [] };
  const userText = lastUserText(options.prompt);
  const clock = clockTokens ? CLOCK_REQUEST.exec(userText.trim()) : null;
  if (clock) return { text: "", toolCalls: [], clock: { tokens: Number(clock[1]), everyMs: Number(clock[2]) } };
  const toolCalls = scriptToolCalls(userText, offered);
  if (toolCalls) {
    const names = toolCalls.map((call) => `\`${call.toolName}\``).join(", ");
    return { text: `I will use ${names} for that.`, toolCalls };
  }
  return { text: scriptReply(userText, offered), toolCalls: [] };
}

export function createDemoModel(options: DemoModelOptions): LanguageModelV4 {
  let callCounter = 0;
  return {
    specificationVersion: "v4",
    provider: "airlock-demo",
    modelId: DEMO_MODEL_ID,
    supportedUrls: {},
    async doGenerate(callOptions) {
      const { text, toolCalls } = plan(callOptions, false);
      const promptChars = JSON.stringify(callOptions.prompt).length;
      return {
        content: [
          { type: "text", text },
          ...toolCalls.map((call) => ({
            type: "tool-call" as const,
            toolCallId: `demo-${++callCounter}`,
            toolName: call.toolName,
            input: JSON.stringify(call.input),
          })),
        ],
        finishReason: { unified: toolCalls.length > 0 ? "tool-calls" : "stop", raw: undefined },
        usage: usage(promptChars, text.length),
        warnings: [],
      };
    },
    async doStream(callOptions) {
      const reply = plan(callOptions, options.clockTokens === true);
      const { toolCalls } = reply;
      const promptChars = JSON.stringify(callOptions.prompt).length;
      const signal = callOptions.abortSignal;
      let outputChars = 0;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          try {
            controller.enqueue({ type: "stream-start", warnings: [] });
            controller.enqueue({ type: "text-start", id: "text-0" });
            for await (const token of pacedTokens(reply, options.tokenDelayMs, signal)) {
              outputChars += token.length;
              controller.enqueue({ type: "text-delta", id: "text-0", delta: token });
            }
            controller.enqueue({ type: "text-end", id: "text-0" });
            for (const call of toolCalls) {
              const id = `demo-${++callCounter}`;
              const input = JSON.stringify(call.input);
              controller.enqueue({ type: "tool-input-start", id, toolName: call.toolName });
              controller.enqueue({ type: "tool-input-delta", id, delta: input });
              controller.enqueue({ type: "tool-input-end", id });
              controller.enqueue({ type: "tool-call", toolCallId: id, toolName: call.toolName, input });
            }
            controller.enqueue({
              type: "finish",
              finishReason: { unified: toolCalls.length > 0 ? "tool-calls" : "stop", raw: undefined },
              usage: usage(promptChars, outputChars),
            });
            controller.close();
          } catch (error) {
            controller.error(error);
          }
        },
      });
      return { stream };
    },
  };
}
