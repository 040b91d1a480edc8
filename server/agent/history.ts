/**
 * Stored messages → the model's prompt. Stored parts are the AI SDK's own message parts
 * (schemaVersion 1). A tool call without a recorded result that is followed by other
 * messages (a run cancelled or failed mid-step) gets an explicit error result, since
 * providers reject dangling calls.
 */
import type { ModelMessage } from "ai";
import type { HistoryMessage } from "../db/steps";

type Part = { type: string; toolCallId?: string; toolName?: string; [key: string]: unknown };

export function toModelMessages(messages: HistoryMessage[]): ModelMessage[] {
  const result: ModelMessage[] = [];
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as HistoryMessage;
    const parts = (Array.isArray(message.parts) ? message.parts : []) as Part[];
    if (message.role === "USER") {
      result.push({ role: "user", content: parts as never });
      continue;
    }
    if (message.role === "TOOL") {
      result.push({ role: "tool", content: parts as never });
      continue;
    }
    if (parts.length === 0) continue;
    result.push({ role: "assistant", content: parts as never });
    const calls = parts.filter((part) => part.type === "tool-call");
    if (calls.length === 0) continue;
    const next = messages[index + 1];
    const answered = new Set(
      next?.role === "TOOL" ? ((next.parts as Part[]) ?? []).map((part) => part.toolCallId) : [],
    );
    const missing = calls.filter((call) => !answered.has(call.toolCallId));
    // The last message's calls may still be open (a run resuming mid-step adds their real
    // results next); only a call that a later message left unanswered gets a placeholder.
    if (missing.length > 0 && next !== undefined && next.role !== "TOOL") {
      result.push({
        role: "tool",
        content: missing.map((call) => ({
          type: "tool-result",
          toolCallId: call.toolCallId as string,
          toolName: call.toolName as string,
          output: { type: "error-text", value: "No result: the run ended before this call completed." },
        })),
      });
    }
  }
  return result;
}
