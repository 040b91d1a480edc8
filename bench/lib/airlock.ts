/**
 * Drives Airlock's real engine for the benchmarks: a scripted LanguageModelV4 answering
 * at zero latency, a no-op READ tool, and the production worker (startWorker) claiming
 * runs from Postgres. A conversation goes through the same path as a user's message:
 * the sendMessage service stores it and queues a run, NOTIFY wakes the worker, the worker
 * claims the run and executes it step by step, persisting Step, Message, ToolCall and
 * RunEvent rows as it goes.
 */
import type { LanguageModelV4, LanguageModelV4Prompt, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { z } from "zod";
import { createConversation, sendMessage } from "../../server/agent/conversations";
import { engineConfigFromEnv } from "../../server/agent/engine-config";
import type { RunOutcome } from "../../server/agent/run-engine";
import { startWorker } from "../../server/agent/worker";
import { findRun } from "../../server/db/runs";
import { env } from "../../server/env";
import { logger } from "../../server/telemetry/logger";
import { createTestUser } from "../../server/testing/fixtures";
import { type AnyTool, defineTool } from "../../server/tools/define-tool";
import { createToolRegistry } from "../../server/tools/registry";
import {
  FINAL_TEXT,
  type FrameworkDriver,
  type ModelCallClock,
  NOOP_TOOL_DESCRIPTION,
  NOOP_TOOL_NAME,
  type ScriptOptions,
  scriptedTurn,
} from "./script";

export const noopTool = defineTool({
  name: NOOP_TOOL_NAME,
  description: NOOP_TOOL_DESCRIPTION,
  input: z.object({ step: z.number(), call: z.number() }),
  output: z.object({ ok: z.boolean() }),
  risk: "READ",
  async execute() {
    return { ok: true };
  },
});

export const SLEEP_TOOL_NAME = "sleep_100ms";

export const sleepTool = defineTool({
  name: SLEEP_TOOL_NAME,
  description: "Waits 100 ms, like a quick network call (benchmark).",
  input: z.object({ step: z.number(), call: z.number() }),
  output: z.object({ ok: z.boolean() }),
  risk: "READ",
  execute: (_input, context) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve({ ok: true }), 100);
      context.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(context.signal.reason);
      });
    }),
});

/** How the final text answer streams: one token at once, or a model-like cadence (TTFT). */
export interface TextCadence {
  tokens: number;
  intervalMs: number;
}

export interface ScriptedModelSettings {
  script: ScriptOptions;
  text: TextCadence;
}

/** Steps already taken in this run: tool-result messages since the last user message. */
function completedSteps(prompt: LanguageModelV4Prompt): number {
  let count = 0;
  for (let index = prompt.length - 1; index >= 0; index--) {
    const role = prompt[index]?.role;
    if (role === "user") break;
    if (role === "tool") count++;
  }
  return count;
}

function textTokens(cadence: TextCadence): string[] {
  if (cadence.tokens <= 1) return [FINAL_TEXT];
  return Array.from({ length: cadence.tokens }, (_, index) => (index === 0 ? "Done" : ` token${index}`));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const USAGE = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};

/** The script as an AI SDK model, streaming exactly what a provider would. */
export function createScriptedLanguageModel(settings: ScriptedModelSettings, clock: ModelCallClock): LanguageModelV4 {
  return {
    specificationVersion: "v4",
    provider: "bench",
    modelId: "scripted",
    supportedUrls: {},
    async doGenerate() {
      throw new Error("The engine streams; the benchmark model only implements doStream.");
    },
    async doStream(options) {
      const call = clock.begin();
      const turn = scriptedTurn(completedSteps(options.prompt), settings.script);
      const cadence = settings.text;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({
        async start(controller) {
          controller.enqueue({ type: "stream-start", warnings: [] });
          if (turn.kind === "tool-calls") {
            for (const toolCall of turn.calls) {
              const input = JSON.stringify(toolCall.input);
              controller.enqueue({ type: "tool-input-start", id: toolCall.id, toolName: toolCall.toolName });
              controller.enqueue({ type: "tool-input-delta", id: toolCall.id, delta: input });
              controller.enqueue({ type: "tool-input-end", id: toolCall.id });
              controller.enqueue({ type: "tool-call", toolCallId: toolCall.id, toolName: toolCall.toolName, input });
            }
          } else {
            controller.enqueue({ type: "text-start", id: "text-0" });
            for (const [index, token] of textTokens(cadence).entries()) {
              if (index > 0 && cadence.intervalMs > 0) await sleep(cadence.intervalMs);
              call.firstToken();
              controller.enqueue({ type: "text-delta", id: "text-0", delta: token });
            }
            controller.enqueue({ type: "text-end", id: "text-0" });
          }
          controller.enqueue({
            type: "finish",
            finishReason: { unified: turn.kind === "tool-calls" ? "tool-calls" : "stop", raw: undefined },
            usage: USAGE,
          });
          call.finish();
          controller.close();
        },
      });
      return { stream };
    },
  };
}

export interface AirlockDriver extends FrameworkDriver {
  settings: ScriptedModelSettings;
  /** A new, empty conversation of the benchmark user's. */
  newConversation(): Promise<string>;
  /** Sends a user message as the chat mutation does (stores it, queues a run); returns the run id. */
  send(conversationId: string, text: string): Promise<string>;
  waitForRun(runId: string, timeoutMs?: number): Promise<RunOutcome>;
}

export async function startAirlockDriver(options: {
  clock: ModelCallClock;
  tools?: AnyTool[];
  /** The engine refuses runs longer than this; the production default (25) is too short here. */
  maxSteps: number;
}): Promise<AirlockDriver> {
  const settings: ScriptedModelSettings = {
    script: { toolSteps: 1, callsPerStep: 1 },
    text: { tokens: 1, intervalMs: 0 },
  };
  const model = createScriptedLanguageModel(settings, options.clock);
  const finished = new Map<string, RunOutcome>();
  const waiters = new Map<string, (outcome: RunOutcome) => void>();
  // Production configuration (the same env defaults the app runs with), except the step limit.
  const worker = await startWorker({
    deps: {
      config: { ...engineConfigFromEnv(), maxSteps: options.maxSteps },
      tools: createToolRegistry(options.tools ?? [noopTool, sleepTool]),
      resolveModel: () => model,
      logger,
    },
    concurrency: env().WORKER_CONCURRENCY,
    onRunFinished: (runId, outcome) => {
      finished.set(runId, outcome);
      waiters.get(runId)?.(outcome);
    },
  });
  const user = await createTestUser("USER");

  const newConversation = async () => (await createConversation({ ownerId: user.id })).id;
  const send = async (conversationId: string, text: string) =>
    (await sendMessage({ ownerId: user.id, conversationId, text })).id;

  const waitForRun = (runId: string, timeoutMs = 300_000) => {
    const done = finished.get(runId);
    if (done) return Promise.resolve(done);
    return new Promise<RunOutcome>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId} did not finish in ${timeoutMs} ms`)), timeoutMs);
      waiters.set(runId, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
    });
  };

  return {
    name: "Airlock (this engine)",
    settings,
    newConversation,
    send,
    waitForRun,
    async runConversation(script) {
      settings.script = script;
      settings.text = { tokens: 1, intervalMs: 0 };
      options.clock.reset();
      const runId = await send(await newConversation(), "Run the benchmark script.");
      const outcome = await waitForRun(runId);
      if (outcome !== "COMPLETED") {
        const error = (await findRun(runId))?.error;
        throw new Error(`Airlock run ${runId} ended ${outcome}${error ? `: ${error}` : ""}`);
      }
      const calls = options.clock.modelCalls().length;
      if (calls !== script.toolSteps + 1) throw new Error(`expected ${script.toolSteps + 1} model calls, saw ${calls}`);
      return options.clock.stepOverheads();
    },
    stop: () => worker.stop(),
  };
}
