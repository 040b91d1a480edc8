/**
 * The OpenAI Agents JS SDK (agents-core), driven through the scripted conversation, made
 * durable per step: before every model call the SDK awaits `callModelInputFilter`, and
 * there the run's new items (the previous step's tool call and its result) are INSERTed
 * into a Postgres table on the same database, in one statement. That is the least a
 * step-durable integration has to do; the SDK's own session stores only save at the end
 * of a turn. The model implements the SDK's Model interface; runs are not streamed (the
 * SDK's cheapest mode) and tracing is off (its exporter would only time out here).
 */
import {
  Agent,
  type Model,
  type ModelRequest,
  type ModelResponse,
  Runner,
  setTracingDisabled,
  tool,
  Usage,
} from "@openai/agents-core";
import pg from "pg";
import { z } from "zod";
import {
  type FrameworkDriver,
  type ModelCallClock,
  NOOP_TOOL_DESCRIPTION,
  NOOP_TOOL_NAME,
  type ScriptOptions,
  scriptedTurn,
} from "../lib/script";

/** The script as an Agents SDK model. */
function createScriptedModel(current: { script: ScriptOptions }, clock: ModelCallClock): Model {
  return {
    async getResponse(request: ModelRequest): Promise<ModelResponse> {
      const call = clock.begin();
      const input = typeof request.input === "string" ? [] : request.input;
      let toolResults = 0;
      for (let index = input.length - 1; index >= 0; index--) {
        const item = input[index] as { type?: string; role?: string };
        if (item.role === "user") break;
        if (item.type === "function_call_result") toolResults++;
      }
      const script = current.script;
      const turn = scriptedTurn(Math.floor(toolResults / script.callsPerStep), script);
      const output: ModelResponse["output"] =
        turn.kind === "tool-calls"
          ? turn.calls.map((toolCall) => ({
              type: "function_call" as const,
              callId: toolCall.id,
              name: toolCall.toolName,
              arguments: JSON.stringify(toolCall.input),
              status: "completed" as const,
            }))
          : [
              {
                type: "message" as const,
                role: "assistant" as const,
                status: "completed" as const,
                content: [{ type: "output_text" as const, text: turn.text }],
              },
            ];
      call.finish();
      return { usage: new Usage(), output };
    },
    getStreamedResponse() {
      throw new Error("The benchmark runs the Agents SDK without streaming.");
    },
  };
}

export async function startOpenAIAgentsDriver(options: {
  url: string;
  clock: ModelCallClock;
}): Promise<FrameworkDriver> {
  setTracingDisabled(true);
  const pool = new pg.Pool({ connectionString: options.url, max: 4 });
  await pool.query(`CREATE TABLE IF NOT EXISTS agents_run_items (
    id bigserial PRIMARY KEY,
    run_id text NOT NULL,
    position int NOT NULL,
    item jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, position)
  )`);
  const current = { script: { toolSteps: 1, callsPerStep: 1 } as ScriptOptions };
  const model = createScriptedModel(current, options.clock);
  const noop = tool({
    name: NOOP_TOOL_NAME,
    description: NOOP_TOOL_DESCRIPTION,
    parameters: z.object({ step: z.number(), call: z.number() }),
    execute: async () => ({ ok: true }),
  });
  const agent = new Agent({ name: "bench", instructions: "Run the benchmark script.", model, tools: [noop] });
  const runner = new Runner({ modelProvider: { getModel: () => model }, tracingDisabled: true });
  let runCounter = 0;

  return {
    name: "OpenAI Agents JS + per-step INSERT",
    async runConversation(script) {
      current.script = script;
      options.clock.reset();
      const runId = `agents-run-${++runCounter}-${Date.now()}`;
      let persisted = 0;
      await runner.run(agent, "Run the benchmark script.", {
        maxTurns: script.toolSteps + 5,
        // Awaited before every model call: commit what the last step produced first.
        callModelInputFilter: async ({ modelData }) => {
          const fresh = modelData.input.slice(persisted);
          if (fresh.length > 0) {
            await pool.query(
              `INSERT INTO agents_run_items (run_id, position, item)
               SELECT $1, $2 + ordinality::int - 1, item FROM unnest($3::jsonb[]) WITH ORDINALITY AS t(item, ordinality)`,
              [runId, persisted, fresh.map((item) => JSON.stringify(item))],
            );
            persisted = modelData.input.length;
          }
          return modelData;
        },
      });
      const calls = options.clock.modelCalls().length;
      if (calls !== script.toolSteps + 1) throw new Error(`expected ${script.toolSteps + 1} model calls, saw ${calls}`);
      return options.clock.stepOverheads();
    },
    stop: () => pool.end(),
  };
}
