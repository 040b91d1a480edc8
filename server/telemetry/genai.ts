/**
 * A model call as a span in the OpenTelemetry GenAI semantic conventions (span name
 * `chat <model>`, kind CLIENT, `gen_ai.provider.name`, `gen_ai.request.model`, token
 * usage, finish reasons) and as metrics. No prompt or completion text unless content
 * capture is turned on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT), and then
 * masked like every other attribute.
 */
import { env } from "../env";
import { metrics, nameLabel } from "./metrics";
import { SpanKind, traced } from "./tracing";

/** Airlock's model ids are `<provider>:<model>` (or `demo`); the provider as the conventions name it. */
const PROVIDERS: Record<string, string> = {
  openai: "openai",
  anthropic: "anthropic",
  compatible: "openai_compatible",
  demo: "airlock.demo",
};

export function modelIdentity(modelId: string): { provider: string; model: string } {
  const at = modelId.indexOf(":");
  const prefix = at > 0 ? modelId.slice(0, at) : modelId;
  return { provider: PROVIDERS[prefix] ?? prefix, model: at > 0 ? modelId.slice(at + 1) : modelId };
}

export interface ModelCallSummary {
  text: string;
  finishReason: string;
  inputTokens?: number;
  outputTokens?: number;
  ttftMs?: number;
  toolCalls: { toolName: string }[];
}

function captureContent(): boolean {
  try {
    return env().OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT;
  } catch {
    return false;
  }
}

/** One attempt of a model call. */
export async function traceModelCall<T extends ModelCallSummary>(
  call: { modelId: string; attempt: number; messages: unknown },
  work: () => Promise<T>,
): Promise<T> {
  const { provider, model } = modelIdentity(call.modelId);
  const started = performance.now();
  const label = nameLabel(call.modelId);
  // Read once per call, not once per attribute set.
  const capture = captureContent();
  return traced(
    `chat ${model}`,
    {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": provider,
      "gen_ai.request.model": model,
      "airlock.model.attempt": call.attempt,
      // Undefined values are dropped: no object spread per call.
      "gen_ai.input.messages": capture ? JSON.stringify(call.messages) : undefined,
    },
    async (span) => {
      try {
        const result = await work();
        span.set({
          "gen_ai.response.finish_reasons": [result.finishReason],
          "gen_ai.usage.input_tokens": result.inputTokens,
          "gen_ai.usage.output_tokens": result.outputTokens,
          "airlock.model.ttft_ms": result.ttftMs,
          "airlock.model.tool_calls": result.toolCalls.length,
          "gen_ai.output.messages": capture ? JSON.stringify([{ role: "assistant", text: result.text }]) : undefined,
        });
        metrics.modelCallDuration.observe({ model: label, result: "ok" }, (performance.now() - started) / 1000);
        if (result.inputTokens) metrics.modelTokens.inc({ model: label, direction: "input" }, result.inputTokens);
        if (result.outputTokens) metrics.modelTokens.inc({ model: label, direction: "output" }, result.outputTokens);
        return result;
      } catch (error) {
        metrics.modelCallDuration.observe({ model: label, result: "error" }, (performance.now() - started) / 1000);
        throw error;
      }
    },
    // Nothing inside a model call starts a span of its own (provider requests are not
    // instrumented): a leaf, which the engine's hottest path can afford.
    { kind: SpanKind.CLIENT, leaf: true },
  );
}
