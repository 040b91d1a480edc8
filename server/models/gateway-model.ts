/**
 * The model of MCP gateway runs (server/gateway). An outside agent has already chosen its
 * tool call; the gateway model only carries it through the engine, so the call takes
 * exactly the path of a chat run's calls (validation, policy, approval, resume on any
 * instance, audit, traces). Its first step proposes exactly the call written in the run's
 * message (shared/gateway-call.ts); once the result is in, the next step ends the run.
 * Like every model it is untrusted: what it proposes is decided by policy like any call.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { type GatewayCall, parseGatewayCallText } from "../shared/gateway-call";

export const GATEWAY_MODEL_ID = "mcp-gateway";

const NO_USAGE = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

type Plan = { text: string; call: GatewayCall | null };

function lastMessageText(prompt: LanguageModelV4Prompt): string | null {
  const last = prompt[prompt.length - 1];
  if (last?.role !== "user") return null;
  return last.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

function plan(options: LanguageModelV4CallOptions): Plan {
  const text = lastMessageText(options.prompt);
  // The call's result came back (or the run resumed after it): the run is done.
  if (text === null) return { text: "The result went back to the MCP client.", call: null };
  const call = parseGatewayCallText(text);
  if (!call) return { text: "This conversation only carries MCP tool calls.", call: null };
  return { text: "", call };
}

export function createGatewayModel(): LanguageModelV4 {
  let counter = 0;
  const finish = (call: GatewayCall | null) => ({ unified: call ? "tool-calls" : "stop", raw: undefined }) as const;
  return {
    specificationVersion: "v4",
    provider: "airlock-mcp-gateway",
    modelId: GATEWAY_MODEL_ID,
    supportedUrls: {},
    async doGenerate(callOptions) {
      const { text, call } = plan(callOptions);
      return {
        content: [
          ...(text ? [{ type: "text" as const, text }] : []),
          ...(call
            ? [
                {
                  type: "tool-call" as const,
                  toolCallId: `mcp-${++counter}`,
                  toolName: call.toolName,
                  input: JSON.stringify(call.args),
                },
              ]
            : []),
        ],
        finishReason: finish(call),
        usage: NO_USAGE,
        warnings: [],
      };
    },
    async doStream(callOptions) {
      const { text, call } = plan(callOptions);
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          if (text) {
            controller.enqueue({ type: "text-start", id: "text-0" });
            controller.enqueue({ type: "text-delta", id: "text-0", delta: text });
            controller.enqueue({ type: "text-end", id: "text-0" });
          }
          if (call) {
            const id = `mcp-${++counter}`;
            const input = JSON.stringify(call.args);
            controller.enqueue({ type: "tool-input-start", id, toolName: call.toolName });
            controller.enqueue({ type: "tool-input-delta", id, delta: input });
            controller.enqueue({ type: "tool-input-end", id });
            controller.enqueue({ type: "tool-call", toolCallId: id, toolName: call.toolName, input });
          }
          controller.enqueue({ type: "finish", finishReason: finish(call), usage: NO_USAGE });
          controller.close();
        },
      });
      return { stream };
    },
  };
}
