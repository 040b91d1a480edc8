/**
 * LangGraph JS with its Postgres checkpointer, driven through the scripted conversation.
 * The graph is the canonical tool-calling agent: a model node and a ToolNode in a loop,
 * MessagesAnnotation state, PostgresSaver on the same database as Airlock.
 *
 * `durability: "sync"` makes each superstep's checkpoint commit before the next step
 * starts. LangGraph's default ("async") writes checkpoints in the background and only
 * drains them at the end, so a crash loses steps: not comparable with an engine that
 * commits every step. The model is a BaseChatModel, the interface ChatOpenAI and friends
 * implement, and the graph is run with `invoke` (no token streaming), its cheapest mode.
 */
import { randomUUID } from "node:crypto";
import { BaseChatModel, type BindToolsInput } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage, HumanMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { tool } from "@langchain/core/tools";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode, toolsCondition } from "@langchain/langgraph/prebuilt";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { z } from "zod";
import {
  type FrameworkDriver,
  type ModelCallClock,
  NOOP_TOOL_DESCRIPTION,
  NOOP_TOOL_NAME,
  type ScriptOptions,
  scriptedTurn,
} from "../lib/script";

/** The script as a LangChain chat model. */
class ScriptedChatModel extends BaseChatModel {
  constructor(
    private readonly current: { script: ScriptOptions },
    private readonly clock: ModelCallClock,
  ) {
    super({});
  }

  _llmType(): string {
    return "scripted";
  }

  // As provider chat models do: tools are converted once and passed with every call.
  override bindTools(tools: BindToolsInput[]) {
    return this.withConfig({ tools: tools.map((definition) => convertToOpenAITool(definition)) } as never);
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const call = this.clock.begin();
    let toolResults = 0;
    for (let index = messages.length - 1; index >= 0; index--) {
      const type = messages[index]?.type;
      if (type === "human") break;
      if (type === "tool") toolResults++;
    }
    const script = this.current.script;
    const turn = scriptedTurn(Math.floor(toolResults / script.callsPerStep), script);
    const message =
      turn.kind === "tool-calls"
        ? new AIMessage({
            content: "",
            tool_calls: turn.calls.map((toolCall) => ({
              id: toolCall.id,
              name: toolCall.toolName,
              args: toolCall.input,
              type: "tool_call" as const,
            })),
          })
        : new AIMessage(turn.text);
    call.finish();
    return { generations: [{ text: turn.kind === "text" ? turn.text : "", message }] };
  }
}

export async function startLangGraphDriver(options: { url: string; clock: ModelCallClock }): Promise<FrameworkDriver> {
  const checkpointer = PostgresSaver.fromConnString(options.url);
  await checkpointer.setup();
  const noop = tool(async () => JSON.stringify({ ok: true }), {
    name: NOOP_TOOL_NAME,
    description: NOOP_TOOL_DESCRIPTION,
    schema: z.object({ step: z.number(), call: z.number() }),
  });
  const current = { script: { toolSteps: 1, callsPerStep: 1 } as ScriptOptions };
  const model = new ScriptedChatModel(current, options.clock).bindTools([noop]);
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([noop]))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", toolsCondition, ["tools", END])
    .addEdge("tools", "agent")
    .compile({ checkpointer });

  return {
    name: "LangGraph + PostgresSaver (durability: sync)",
    async runConversation(script) {
      current.script = script;
      options.clock.reset();
      await graph.invoke(
        { messages: [new HumanMessage("Run the benchmark script.")] },
        {
          configurable: { thread_id: randomUUID() },
          durability: "sync",
          // Two supersteps per step (model, tools), plus the last model call.
          recursionLimit: 2 * script.toolSteps + 10,
        },
      );
      const calls = options.clock.modelCalls().length;
      if (calls !== script.toolSteps + 1) throw new Error(`expected ${script.toolSteps + 1} model calls, saw ${calls}`);
      return options.clock.stepOverheads();
    },
    stop: () => checkpointer.end(),
  };
}
