/**
 * A local stand-in for an OpenAI-compatible server, so tests drive the real provider
 * path (HTTP, SSE parsing, retries, timeouts) without a network. It answers
 * POST /v1/chat/completions from a queue of scripted responses, one per request (as SSE
 * when the request streams, as one JSON completion when it does not), and
 * records every request body so tests can check what the model was sent.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, startLocalServer, writeFrames } from "./fake-http-server";

export interface ScriptedToolCall {
  /** Defaults to `call_<n>`, unique per server like a real provider's ids. */
  id?: string;
  name: string;
  /** Sent verbatim, split into fragments, so it may be deliberately malformed JSON. */
  arguments: string;
}

/** A streamed answer: text tokens, then tool calls, then the finish and usage chunks. */
export interface StreamScript {
  type: "stream";
  text?: string[];
  toolCalls?: ScriptedToolCall[];
  /** Wait before each chunk after the first, to make a slow model. */
  tokenDelayMs?: number;
  /** Destroy the socket after this many chunks: a connection dropped mid-answer. */
  cutAfterChunks?: number;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface ErrorScript {
  type: "error";
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ScriptedResponse = StreamScript | ErrorScript;

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content?: unknown; tool_calls?: unknown; tool_call_id?: string }[];
  tools?: { function: { name: string } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface FakeOpenAIServer {
  /** The base URL a provider is configured with, ending in /v1. */
  baseUrl: string;
  /** Appends responses to the queue; each request takes the next one. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Every request body received so far, in order. */
  requests: ChatRequestBody[];
  /** Empties the queue and the recorded requests, between tests. */
  reset(): void;
  stop(): Promise<void>;
}

const ARGUMENT_FRAGMENT_CHARS = 8;

function chunk(choice: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "fake-model",
    choices: choice ? [{ index: 0, ...choice }] : [],
    ...extra,
  });
}

function splitEvery(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces.length > 0 ? pieces : [""];
}

/** The SSE data payloads of a stream script, in the order OpenAI sends them. */
function streamChunks(script: StreamScript, includeUsage: boolean, nextCallId: () => string): string[] {
  const chunks = [chunk({ delta: { role: "assistant", content: "" }, finish_reason: null })];
  for (const token of script.text ?? []) chunks.push(chunk({ delta: { content: token }, finish_reason: null }));
  (script.toolCalls ?? []).forEach((call, index) => {
    const [first, ...rest] = splitEvery(call.arguments, ARGUMENT_FRAGMENT_CHARS);
    chunks.push(
      chunk({
        delta: {
          tool_calls: [
            { index, id: call.id ?? nextCallId(), type: "function", function: { name: call.name, arguments: first } },
          ],
        },
        finish_reason: null,
      }),
    );
    for (const fragment of rest) {
      chunks.push(
        chunk({ delta: { tool_calls: [{ index, function: { arguments: fragment } }] }, finish_reason: null }),
      );
    }
  });
  const finishReason = (script.toolCalls ?? []).length > 0 ? "tool_calls" : "stop";
  chunks.push(chunk({ delta: {}, finish_reason: finishReason }));
  if (includeUsage) {
    const usage = script.usage ?? { promptTokens: 10, completionTokens: 5 };
    chunks.push(
      chunk(undefined, {
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
        },
      }),
    );
  }
  return chunks;
}

async function sendStream(response: ServerResponse, chunks: string[], script: StreamScript): Promise<void> {
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const frames = chunks.map((data) => `data: ${data}\n\n`);
  if (await writeFrames(response, frames, { cutAfter: script.cutAfterChunks, delayMs: script.tokenDelayMs })) {
    response.end("data: [DONE]\n\n");
  }
}

/** `stream: false` (generateText): the same script as one chat.completion object. */
function sendCompletion(response: ServerResponse, script: StreamScript, nextCallId: () => string): void {
  const toolCalls = (script.toolCalls ?? []).map((call) => ({
    id: call.id ?? nextCallId(),
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  }));
  const usage = script.usage ?? { promptTokens: 10, completionTokens: 5 };
  response.writeHead(200, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      id: "chatcmpl-fake",
      object: "chat.completion",
      created: 1_700_000_000,
      model: "fake-model",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: (script.text ?? []).join(""),
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: toolCalls.length > 0 ? "tool_calls" : "stop",
        },
      ],
      usage: {
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.promptTokens + usage.completionTokens,
      },
    }),
  );
}

function sendError(response: ServerResponse, script: ErrorScript): void {
  response.writeHead(script.status, { "content-type": "application/json", ...script.headers });
  response.end(JSON.stringify(script.body ?? { error: { message: `scripted HTTP ${script.status}` } }));
}

/** A client error, not a 5xx, so a test that scripted too few responses fails at once instead of retrying. */
const NOTHING_SCRIPTED: ErrorScript = {
  type: "error",
  status: 400,
  body: { error: { message: "fake OpenAI server: no scripted response left for this request" } },
};

export async function startFakeOpenAIServer(): Promise<FakeOpenAIServer> {
  const queue: ScriptedResponse[] = [];
  const requests: ChatRequestBody[] = [];
  let callCount = 0;
  const nextCallId = () => `call_${++callCount}`;

  const respond = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== "POST" || request.url !== "/v1/chat/completions") {
      sendError(response, { type: "error", status: 404, body: { error: { message: `no route ${request.url}` } } });
      return;
    }
    const body = JSON.parse(await readBody(request)) as ChatRequestBody;
    requests.push(body);
    const script = queue.shift() ?? NOTHING_SCRIPTED;
    if (script.type === "error") sendError(response, script);
    else if (body.stream !== true) sendCompletion(response, script, nextCallId);
    else
      await sendStream(response, streamChunks(script, body.stream_options?.include_usage === true, nextCallId), script);
  };
  const server = await startLocalServer(respond);

  return {
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    requests,
    enqueue: (...responses) => queue.push(...responses),
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    stop: () => server.stop(),
  };
}
