/**
 * What the provider tests (engine-provider, engine-anthropic) share: two tools, a run of one
 * message through a fresh worker whose model comes from the registry, and the rows and
 * events a user would see afterwards.
 */
import { z } from "zod";
import type { EngineConfig } from "../agent/engine-config";
import type { RunOutcome } from "../agent/run-engine";
import { listRunEvents } from "../db/run-events";
import { resolveModel } from "../models/registry";
import { type AnyTool, defineTool } from "../tools/define-tool";
import type { TestDatabase } from "./database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
} from "./fixtures";

export const getWeather = defineTool({
  name: "get_weather",
  description: "Current weather for a city",
  input: z.object({ city: z.string() }),
  output: z.object({ city: z.string(), celsius: z.number() }),
  risk: "READ",
  async execute(input) {
    return { city: input.city, celsius: 12 };
  },
});

/**
 * When each call of `nap` ran, as ticks of one counter (so "started before another ended"
 * is exact, not a reading of two clocks). Reset with expectNaps() before use.
 */
export const napIntervals: { start: number; end: number }[] = [];

/** A nap waits this long at most for its siblings; the calls of a step that ran one after another end anyway. */
const NAP_GIVE_UP_MS = 2_000;
let napTicks = 0;
let napsExpected = 0;
let napsStarted = 0;
let allNapsStarted: () => void = () => {};
let allNapsStartedPromise = Promise.resolve();

/**
 * The next `count` naps each wait until all `count` have started: a gate instead of a
 * sleep, so calls that run concurrently always overlap, however slow the machine, and
 * calls run one after another still do not (the first ends after NAP_GIVE_UP_MS alone).
 */
export function expectNaps(count: number): void {
  napIntervals.length = 0;
  napsExpected = count;
  napsStarted = 0;
  allNapsStartedPromise = new Promise((resolve) => {
    allNapsStarted = resolve;
  });
}

export const nap = defineTool({
  name: "nap",
  description: "Sleeps for a while, then answers",
  input: z.object({ label: z.string() }),
  output: z.object({ label: z.string() }),
  risk: "READ",
  async execute(input) {
    const start = ++napTicks;
    if (++napsStarted >= napsExpected) allNapsStarted();
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([
      allNapsStartedPromise,
      new Promise((resolve) => {
        giveUp = setTimeout(resolve, NAP_GIVE_UP_MS);
      }),
    ]);
    clearTimeout(giveUp);
    napIntervals.push({ start, end: ++napTicks });
    return { label: input.label };
  },
});

export interface RunResult {
  runId: string;
  userId: string;
  conversationId: string;
  outcome: RunOutcome;
}

/**
 * Sends one message through a fresh worker whose model comes from the registry, waits for
 * the run to end and stops the worker. `during` runs while the run is in flight.
 */
export async function runThroughRegistry(options: {
  modelId: string;
  tools: AnyTool[];
  text?: string;
  config?: Partial<EngineConfig>;
  during?: (run: { runId: string; userId: string }) => Promise<void>;
  conversation?: { userId: string; conversationId: string };
}): Promise<RunResult> {
  const worker = await startTestWorker(
    testEngineDependencies({ model: (modelId) => resolveModel(modelId), tools: options.tools, config: options.config }),
  );
  try {
    const userId = options.conversation?.userId ?? (await createTestUser()).id;
    const conversationId =
      options.conversation?.conversationId ?? (await createTestConversation(userId, options.modelId)).id;
    const runId = await sendTestMessage(userId, conversationId, options.text ?? "What is the weather in Oslo?");
    await options.during?.({ runId, userId });
    const outcome = await worker.waitForRun(runId);
    return { runId, userId, conversationId, outcome };
  } finally {
    await worker.stop();
  }
}

/** Reads of a run's rows; `database` is asked for at each call (it is created in beforeAll). */
export function runRows(database: () => TestDatabase) {
  return {
    async runRow(runId: string) {
      const [run] = await database().query<{ status: string; error: string | null }>(
        `SELECT status, error FROM "Run" WHERE id = $1`,
        [runId],
      );
      return run;
    },
    toolCalls(runId: string) {
      return database().query<{
        toolName: string;
        modelCallId: string;
        status: string;
        error: string | null;
        result: unknown;
      }>(
        `SELECT t."toolName", t."modelCallId", t.status, t.error, t.result
         FROM "ToolCall" t JOIN "Step" s ON s.id = t."stepId"
         WHERE t."runId" = $1 ORDER BY s.index, t.position`,
        [runId],
      );
    },
    messages(conversationId: string) {
      return database().query<{ role: string; parts: { type: string; text?: string }[] }>(
        `SELECT role, parts FROM "Message" WHERE "conversationId" = $1 ORDER BY id`,
        [conversationId],
      );
    },
  };
}

/**
 * The text a viewer of the live stream was shown for a step, once per attempt of its
 * model call: a retry resumes the step (step-resumed), so its attempt starts with what
 * was shown and continues it; a replacing one, or a step-started, starts from nothing.
 */
export async function streamedAttempts(runId: string, stepIndex: number): Promise<string[]> {
  const attempts: string[] = [];
  for (const { data } of await listRunEvents(runId, 0)) {
    if (data.type === "step-started" && data.stepIndex === stepIndex) attempts.push("");
    if (data.type === "step-resumed" && data.stepIndex === stepIndex) {
      attempts.push(data.replaced ? "" : (attempts.at(-1) ?? ""));
    }
    if (data.type === "text-delta" && data.stepIndex === stepIndex) {
      if (attempts.length === 0) attempts.push("");
      attempts[attempts.length - 1] += data.text;
    }
  }
  return attempts;
}

/** What a viewer ends up reading for a step: the text since its last (re)start. */
export async function streamedText(runId: string, stepIndex: number): Promise<string> {
  return (await streamedAttempts(runId, stepIndex)).at(-1) ?? "";
}
