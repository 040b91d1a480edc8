/**
 * A local stand-in for Anthropic's Messages API, so tests drive the real `@ai-sdk/anthropic`
 * provider (HTTP, SSE parsing, retries, timeouts) without a network. It answers
 * POST /v1/messages from a queue of scripted responses, one per request (as Anthropic's
 * named SSE events when the request streams, as one message object when it does not), and
 * records every request's body and headers so tests can check what the model was sent.
 *
 * Like the real API it turns away a wrong `x-api-key` (401) and a request Anthropic would
 * reject (400): a missing `anthropic-version`, a system prompt inside `messages`, a
 * `tool_use` not answered by a `tool_result` in the next message, or tool input that is
 * not an object. So a test passes only if the provider was sent a request Anthropic accepts.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { readBody, startLocalServer, writeFrames } from "./fake-http-server";

export interface ScriptedToolUse {
  /** Defaults to `toolu_fake_<n>`, unique per server like Anthropic's ids. */
  id?: string;
  name: string;
  /** The input as JSON text, sent verbatim in `input_json_delta` fragments, so it may be deliberately malformed. */
  input: string;
}

/** The error types Anthropic's API uses (https://docs.anthropic.com/en/api/errors). */
export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

/** A streamed message: a text block, then tool_use blocks, then message_delta (stop reason, usage) and message_stop. */
export interface StreamScript {
  type: "stream";
  text?: string[];
  toolUses?: ScriptedToolUse[];
  /** Wait before each event after the first, to make a slow model. */
  tokenDelayMs?: number;
  /** Destroy the socket after this many events: a connection dropped mid-answer. */
  cutAfterEvents?: number;
  /** Send Anthropic's in-stream `error` event after this many events, then end: an overload mid-answer. */
  errorAfterEvents?: { events: number; errorType: AnthropicErrorType; message: string };
  /** input_tokens goes in message_start, output_tokens in message_delta, as Anthropic sends them. */
  usage?: { inputTokens: number; outputTokens: number };
}

/** An HTTP error with Anthropic's body: `{ type: "error", error: { type, message } }`. */
export interface ErrorScript {
  type: "error";
  status: number;
  /** Defaults to the type Anthropic uses for the status. */
  errorType?: AnthropicErrorType;
  message?: string;
  headers?: Record<string, string>;
}

export type ScriptedResponse = StreamScript | ErrorScript;

/** A content block as the provider sent it: text, tool_use (in assistant turns) or tool_result (in user turns). */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
  [key: string]: unknown;
}

export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  system?: string | { type: "text"; text: string }[];
  messages: { role: string; content: string | ContentBlock[] }[];
  tools?: { name: string; description?: string; input_schema: unknown }[];
  tool_choice?: { type: string };
  stream?: boolean;
  [key: string]: unknown;
}

export interface FakeAnthropicServer {
  /** The base URL the provider is configured with, ending in /v1 like Anthropic's own. */
  baseUrl: string;
  /** Appends responses to the queue; each accepted request takes the next one. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Every request body received so far, in order, including those turned away. */
  requests: MessagesRequestBody[];
  /** The headers of each request in `requests`, at the same index. */
  requestHeaders: IncomingHttpHeaders[];
  /** Empties the queue and the recorded requests, between tests. */
  reset(): void;
  stop(): Promise<void>;
}

const ERROR_TYPE_BY_STATUS: Record<number, AnthropicErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

const INPUT_FRAGMENT_CHARS = 8;

interface ServerSentEvent {
  event: string;
  data: Record<string, unknown>;
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

function usageOf(script: StreamScript) {
  return script.usage ?? { inputTokens: 10, outputTokens: 5 };
}

function stopReason(script: StreamScript): "tool_use" | "end_turn" {
  return (script.toolUses ?? []).length > 0 ? "tool_use" : "end_turn";
}

/** The events of a stream script, in the order Anthropic sends them. */
function streamEvents(
  script: StreamScript,
  model: string,
  messageId: string,
  toolUseId: () => string,
): ServerSentEvent[] {
  const usage = usageOf(script);
  const events: ServerSentEvent[] = [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: messageId,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Anthropic counts the input up front and the output only in message_delta.
          usage: { input_tokens: usage.inputTokens, output_tokens: 1 },
        },
      },
    },
    { event: "ping", data: { type: "ping" } },
  ];
  let index = 0;
  const block = (contentBlock: Record<string, unknown>, deltas: Record<string, unknown>[]) => {
    events.push({
      event: "content_block_start",
      data: { type: "content_block_start", index, content_block: contentBlock },
    });
    for (const delta of deltas)
      events.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta } });
    events.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
    index++;
  };
  if (script.text && script.text.length > 0) {
    block(
      { type: "text", text: "" },
      script.text.map((text) => ({ type: "text_delta", text })),
    );
  }
  for (const toolUse of script.toolUses ?? []) {
    // Anthropic opens a tool_use block with empty input and an empty first fragment.
    block({ type: "tool_use", id: toolUse.id ?? toolUseId(), name: toolUse.name, input: {} }, [
      { type: "input_json_delta", partial_json: "" },
      ...splitEvery(toolUse.input, INPUT_FRAGMENT_CHARS).map((partial_json) => ({
        type: "input_json_delta",
        partial_json,
      })),
    ]);
  }
  events.push(
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: stopReason(script), stop_sequence: null },
        usage: { output_tokens: usage.outputTokens },
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  );
  return events;
}

/** Why Anthropic would reject this request with invalid_request_error, if it would. */
function invalidRequest(body: MessagesRequestBody, headers: IncomingHttpHeaders): string | undefined {
  if (!headers["anthropic-version"]) return "anthropic-version: header is required";
  if (typeof body.model !== "string" || body.model === "") return "model: Field required";
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return "max_tokens: Field required";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "messages: at least one message is required";
  const blocksOf = (position: number): ContentBlock[] => {
    const content = body.messages[position]?.content;
    return Array.isArray(content) ? content : [];
  };
  const idsOf = (blocks: ContentBlock[], type: string, key: "id" | "tool_use_id") =>
    new Set(blocks.filter((candidate) => candidate.type === type).map((candidate) => String(candidate[key])));
  for (const [position, message] of body.messages.entries()) {
    if (message.role !== "user" && message.role !== "assistant") {
      return `messages.${position}.role: Input should be 'user' or 'assistant'`;
    }
    const blocks = blocksOf(position);
    const asked = idsOf(blocksOf(position - 1), "tool_use", "id");
    const stray = [...idsOf(blocks, "tool_result", "tool_use_id")].filter((id) => !asked.has(id));
    if (stray.length > 0) {
      return `messages.${position}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray.join(", ")}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    }
    const answered = idsOf(blocksOf(position + 1), "tool_result", "tool_use_id");
    const unanswered: string[] = [];
    for (const [blockIndex, contentBlock] of blocks.entries()) {
      if (contentBlock.type !== "tool_use") continue;
      const input = contentBlock.input;
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        return `messages.${position}.content.${blockIndex}.tool_use.input: Input should be a valid dictionary`;
      }
      if (!answered.has(String(contentBlock.id))) unanswered.push(String(contentBlock.id));
    }
    if (unanswered.length > 0) {
      return `messages.${position}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${unanswered.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
    }
  }
  return undefined;
}

function formatEvent({ event, data }: ServerSentEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

async function sendStream(response: ServerResponse, events: ServerSentEvent[], script: StreamScript): Promise<void> {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "request-id": "req_fake",
  });
  // An in-stream error replaces the events from its position on, and ends the stream.
  const failAt = script.errorAfterEvents?.events;
  const frames = events.slice(0, failAt).map(formatEvent);
  if (!(await writeFrames(response, frames, { cutAfter: script.cutAfterEvents, delayMs: script.tokenDelayMs }))) return;
  if (script.errorAfterEvents && failAt !== undefined && failAt < events.length) {
    const { errorType, message } = script.errorAfterEvents;
    response.end(formatEvent({ event: "error", data: { type: "error", error: { type: errorType, message } } }));
    return;
  }
  response.end();
}

/** `stream: false` (generateText): the same script as one message object; tool input must be valid JSON here. */
function sendMessage(
  response: ServerResponse,
  script: StreamScript,
  model: string,
  messageId: string,
  toolUseId: () => string,
): void {
  const text = (script.text ?? []).join("");
  const usage = usageOf(script);
  response.writeHead(200, { "content-type": "application/json", "request-id": "req_fake" });
  response.end(
    JSON.stringify({
      id: messageId,
      type: "message",
      role: "assistant",
      model,
      content: [
        ...(text.length > 0 ? [{ type: "text", text }] : []),
        ...(script.toolUses ?? []).map((toolUse) => ({
          type: "tool_use",
          id: toolUse.id ?? toolUseId(),
          name: toolUse.name,
          input: JSON.parse(toolUse.input),
        })),
      ],
      stop_reason: stopReason(script),
      stop_sequence: null,
      usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
    }),
  );
}

function sendError(response: ServerResponse, script: ErrorScript): void {
  const errorType = script.errorType ?? ERROR_TYPE_BY_STATUS[script.status] ?? "api_error";
  response.writeHead(script.status, {
    "content-type": "application/json",
    "request-id": "req_fake",
    ...script.headers,
  });
  response.end(
    JSON.stringify({
      type: "error",
      error: { type: errorType, message: script.message ?? `scripted HTTP ${script.status}` },
    }),
  );
}

/** A client error, not a 5xx, so a test that scripted too few responses fails at once instead of retrying. */
const NOTHING_SCRIPTED: ErrorScript = {
  type: "error",
  status: 400,
  message: "fake Anthropic server: no scripted response left for this request",
};

export async function startFakeAnthropicServer(options: { apiKey: string }): Promise<FakeAnthropicServer> {
  const queue: ScriptedResponse[] = [];
  const requests: MessagesRequestBody[] = [];
  const requestHeaders: IncomingHttpHeaders[] = [];
  let messageCount = 0;
  let toolUseCount = 0;
  const toolUseId = () => `toolu_fake_${++toolUseCount}`;

  const respond = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST" || request.url !== "/v1/messages") {
      sendError(response, { type: "error", status: 404, message: `no route ${request.method} ${request.url}` });
      return;
    }
    const body = JSON.parse(await readBody(request)) as MessagesRequestBody;
    requests.push(body);
    requestHeaders.push(request.headers);
    if (request.headers["x-api-key"] !== options.apiKey) {
      sendError(response, { type: "error", status: 401, message: "invalid x-api-key" });
      return;
    }
    const rejection = invalidRequest(body, request.headers);
    if (rejection) {
      sendError(response, { type: "error", status: 400, message: rejection });
      return;
    }
    const script = queue.shift() ?? NOTHING_SCRIPTED;
    const messageId = `msg_fake_${++messageCount}`;
    if (script.type === "error") sendError(response, script);
    else if (body.stream !== true) sendMessage(response, script, body.model, messageId, toolUseId);
    else await sendStream(response, streamEvents(script, body.model, messageId, toolUseId), script);
  };
  const server = await startLocalServer(respond);

  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    requestHeaders,
    enqueue: (...responses) => queue.push(...responses),
    reset() {
      queue.length = 0;
      requests.length = 0;
      requestHeaders.length = 0;
    },
    stop: () => server.stop(),
  };
}
