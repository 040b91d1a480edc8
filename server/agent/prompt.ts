/**
 * The run's history as the provider interface's prompt (LanguageModelV4Prompt), and the
 * tools as the provider's function tools. The engine calls `model.doStream` itself rather
 * than the AI SDK's `streamText`: it already owns retries, tool execution and policy, and
 * streamText's extra work (re-converting the whole history, telemetry, stream plumbing)
 * cost ~0.6 ms per step, more than the rest of the engine's CPU (bench/README.md).
 *
 * Stored parts are the AI SDK's own message parts (text, tool-call, tool-result), which
 * map one to one onto the prompt's. Each message is converted once and remembered, so
 * building the prompt for step 200 costs what it costs for step 1.
 */
import type {
  LanguageModelV4FunctionTool,
  LanguageModelV4Message,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from "@ai-sdk/provider";
import type { ModelMessage } from "ai";
import { asSchema } from "ai";
import type { AnyTool } from "../tools/define-tool";

export class UnsupportedPartError extends Error {
  constructor(role: string, type: string) {
    super(`A ${role} message holds a part of type "${type}", which the engine cannot send to a model.`);
    this.name = "UnsupportedPartError";
  }
}

type AnyPart = { type: string; [key: string]: unknown };

function partsOf(message: ModelMessage): AnyPart[] {
  const content = message.content as unknown;
  if (typeof content === "string") return [{ type: "text", text: content }];
  return Array.isArray(content) ? (content as AnyPart[]) : [];
}

function convert(message: ModelMessage): LanguageModelV4Message {
  const parts = partsOf(message);
  switch (message.role) {
    case "system":
      return { role: "system", content: String(message.content) };
    case "user":
      return {
        role: "user",
        content: parts.map((part) => {
          if (part.type !== "text") throw new UnsupportedPartError("user", part.type);
          return { type: "text", text: String(part.text) };
        }),
      };
    case "assistant":
      return {
        role: "assistant",
        content: parts.map((part) => {
          if (part.type === "text") return { type: "text", text: String(part.text) };
          if (part.type === "tool-call") {
            return {
              type: "tool-call",
              toolCallId: String(part.toolCallId),
              toolName: String(part.toolName),
              input: part.input ?? {},
            };
          }
          throw new UnsupportedPartError("assistant", part.type);
        }),
      };
    case "tool":
      return {
        role: "tool",
        content: parts.map((part) => {
          if (part.type !== "tool-result") throw new UnsupportedPartError("tool", part.type);
          return {
            type: "tool-result",
            toolCallId: String(part.toolCallId),
            toolName: String(part.toolName),
            output: part.output as LanguageModelV4ToolResultOutput,
          };
        }),
      };
  }
}

const converted = new WeakMap<ModelMessage, LanguageModelV4Message>();

export function toPrompt(system: string, history: readonly ModelMessage[]): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [{ role: "system", content: system }];
  for (const message of history) {
    let each = converted.get(message);
    if (!each) {
      each = convert(message);
      converted.set(message, each);
    }
    // Empty assistant turns (a cancelled step with nothing said) are not sent.
    if (each.role !== "system" && each.content.length === 0) continue;
    prompt.push(each);
  }
  return prompt;
}

const toolsCache = new WeakMap<readonly AnyTool[], Promise<LanguageModelV4FunctionTool[]>>();

/** The tools as the provider is shown them: JSON Schema derived from each tool's zod input, by the AI SDK. */
export function toFunctionTools(tools: readonly AnyTool[]): Promise<LanguageModelV4FunctionTool[]> {
  let prepared = toolsCache.get(tools);
  if (!prepared) {
    prepared = Promise.all(
      tools.map(async (definition) => ({
        type: "function" as const,
        name: definition.name,
        description: definition.description,
        inputSchema: definition.modelInputSchema ?? (await asSchema(definition.input).jsonSchema),
      })),
    );
    toolsCache.set(tools, prepared);
  }
  return prepared;
}
