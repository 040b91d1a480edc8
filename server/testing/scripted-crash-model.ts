/**
 * A deterministic LanguageModelV4 for crash tests. It follows the crash plan in the
 * last user message: step k streams a fixed announcement (with small random pauses
 * between tokens, so kills land mid-stream) and calls that step's ledger tools; after the
 * last step it answers with the outcome of every tool result it was given. It derives
 * everything from the prompt, so a resumed run gets exactly the same steps, and it
 * checks the prompt it is given: every tool call answered exactly once, no placeholder
 * results — a problem is written into the answer for the checker to find.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
} from "@ai-sdk/provider";
import { abortableSleep } from "../shared/abortable-sleep";
import {
  type CrashPlan,
  finalAnswer,
  LEDGER_TOOL_NAMES,
  type ObservedOutcome,
  PROMPT_PROBLEM_MARKER,
  parseCrashPlan,
  stepAnnouncement,
} from "./crash-plan";
import type { SeededRandom } from "./seeded-random";

export const SCRIPTED_CRASH_MODEL_ID = "scripted-crash";

interface Turn {
  plan: CrashPlan;
  stepIndex: number;
  outcomes: { toolName: string; outcome: ObservedOutcome }[];
  problems: string[];
}

function readTurn(prompt: LanguageModelV4Prompt): Turn {
  const lastUser = prompt.findLastIndex((message) => message.role === "user");
  const user = prompt[lastUser];
  const text =
    user?.role === "user" ? user.content.map((part) => (part.type === "text" ? part.text : "")).join("") : "";
  const plan = parseCrashPlan(text);
  if (!plan) throw new Error(`The scripted crash model needs a crash plan, got: ${text.slice(0, 80)}`);

  const turn = prompt.slice(lastUser + 1);
  const calls = new Map<string, string>();
  const answered = new Map<string, number>();
  const outcomes: Turn["outcomes"] = [];
  const problems: string[] = [];
  let stepIndex = 0;
  for (const message of turn) {
    if (message.role === "assistant") {
      stepIndex++;
      for (const part of message.content) {
        if (part.type === "tool-call") calls.set(part.toolCallId, part.toolName);
      }
    } else if (message.role === "tool") {
      for (const part of message.content) {
        if (part.type !== "tool-result") continue;
        answered.set(part.toolCallId, (answered.get(part.toolCallId) ?? 0) + 1);
        if (!calls.has(part.toolCallId)) problems.push(`result for unknown call ${part.toolCallId}`);
        const output = part.output;
        const value = "value" in output ? String(typeof output.value === "string" ? output.value : "") : "";
        if (value.startsWith("No result")) problems.push(`placeholder result for ${part.toolCallId}`);
        const outcome: ObservedOutcome =
          output.type === "json" || output.type === "text"
            ? "ok"
            : value.startsWith("Outcome unknown")
              ? "unknown outcome"
              : "error";
        outcomes.push({ toolName: part.toolName, outcome });
      }
    }
  }
  for (const [callId, count] of answered) {
    if (count > 1) problems.push(`call ${callId} has ${count} results`);
  }
  for (const callId of calls.keys()) {
    if (!answered.has(callId)) problems.push(`call ${callId} has no result`);
  }
  return { plan, stepIndex, outcomes, problems };
}

function reply(turn: Turn) {
  const problem = turn.problems.length > 0 ? `${PROMPT_PROBLEM_MARKER} (${turn.problems.join("; ")}) ` : "";
  if (turn.stepIndex >= turn.plan.length) {
    return { text: `${problem}${finalAnswer(turn.outcomes)}`, toolCalls: [] };
  }
  const step = turn.plan[turn.stepIndex] ?? [];
  return {
    text: `${problem}${stepAnnouncement(turn.plan, turn.stepIndex)}`,
    // Ids are derived from the position in the plan, so a step re-run after a crash proposes the same calls.
    toolCalls: step.map((kind, position) => ({
      toolCallId: `call-${turn.stepIndex}-${position}`,
      toolName: LEDGER_TOOL_NAMES[kind],
      input: JSON.stringify({ entry: `step ${turn.stepIndex} call ${position}` }),
    })),
  };
}

const USAGE = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 10, text: 10, reasoning: 0 },
};

export function createScriptedCrashModel(options: { random: SeededRandom; maxTokenDelayMs: number }): LanguageModelV4 {
  const plan = (callOptions: LanguageModelV4CallOptions) => reply(readTurn(callOptions.prompt));
  return {
    specificationVersion: "v4",
    provider: "airlock-test",
    modelId: SCRIPTED_CRASH_MODEL_ID,
    supportedUrls: {},
    async doGenerate(callOptions) {
      const { text, toolCalls } = plan(callOptions);
      return {
        content: [{ type: "text", text }, ...toolCalls.map((call) => ({ type: "tool-call" as const, ...call }))],
        finishReason: { unified: toolCalls.length > 0 ? "tool-calls" : "stop", raw: undefined },
        usage: USAGE,
        warnings: [],
      };
    },
    async doStream(callOptions) {
      const { text, toolCalls } = plan(callOptions);
      const signal = callOptions.abortSignal;
      const tokens = text.match(/\s*\S+/g) ?? [];
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          try {
            controller.enqueue({ type: "stream-start", warnings: [] });
            controller.enqueue({ type: "text-start", id: "text-0" });
            for (const token of tokens) {
              await abortableSleep(options.random.integer(0, options.maxTokenDelayMs), signal);
              controller.enqueue({ type: "text-delta", id: "text-0", delta: token });
            }
            controller.enqueue({ type: "text-end", id: "text-0" });
            for (const call of toolCalls) {
              controller.enqueue({ type: "tool-input-start", id: call.toolCallId, toolName: call.toolName });
              controller.enqueue({ type: "tool-input-delta", id: call.toolCallId, delta: call.input });
              controller.enqueue({ type: "tool-input-end", id: call.toolCallId });
              controller.enqueue({ type: "tool-call", ...call });
            }
            controller.enqueue({
              type: "finish",
              finishReason: { unified: toolCalls.length > 0 ? "tool-calls" : "stop", raw: undefined },
              usage: USAGE,
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
