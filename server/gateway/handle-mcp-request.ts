/**
 * /api/mcp over Streamable HTTP, for the app's route handler and the test instances.
 * Per request, in this order: the Origin (DNS-rebinding protection, 403), the bearer
 * token (401 with a JSON-RPC error and WWW-Authenticate; the user's role is re-read on
 * every request), the body, the session (a signed id, session.ts), then the SDK's
 * web-standard transport in stateless mode answers with a fresh server (gateway-server.ts).
 * Nothing is kept in memory between requests, so a client may reach any instance.
 * GET (a standalone server stream) and DELETE (ending a session) are not offered: 405.
 */
import { randomBytes } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import {
  ErrorCode,
  isInitializeRequest,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";
import { authenticateApiToken, parseBearer } from "../auth/api-tokens";
import { logger } from "../telemetry/logger";
import { createGatewayServer } from "./gateway-server";
import { isAllowedOrigin } from "./origin";
import { cleanClientName, createSessionId, readSessionId } from "./session";

/** Largest request body read (the transport's own default). */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const SESSION_HEADER = "mcp-session-id";

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}) {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status, headers });
}

async function readBody(request: Request): Promise<{ ok: true; body: unknown } | { ok: false; response: Response }> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    return { ok: false, response: jsonRpcError(413, ErrorCode.InvalidRequest, "The request body is too large.") };
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) {
    return { ok: false, response: jsonRpcError(413, ErrorCode.InvalidRequest, "The request body is too large.") };
  }
  try {
    return { ok: true, body: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
  } catch {
    return { ok: false, response: jsonRpcError(400, ErrorCode.ParseError, "Parse error: the body is not valid JSON.") };
  }
}

function initializeOf(body: unknown) {
  const messages = Array.isArray(body) ? body : [body];
  return messages.find((message) => isInitializeRequest(message));
}

export async function handleMcpRequest(request: Request): Promise<Response> {
  if (!isAllowedOrigin(request)) {
    return jsonRpcError(403, ErrorCode.InvalidRequest, "Forbidden: this Origin may not use Airlock's MCP endpoint.");
  }
  const authorization = request.headers.get("authorization");
  const check = await authenticateApiToken(authorization);
  if (!check.ok) {
    // A header value must be plain ASCII: the description is the reason's code, the body says it in words.
    const challenge =
      check.reason === "missing"
        ? 'Bearer realm="airlock"'
        : `Bearer realm="airlock", error="invalid_token", error_description="${check.reason}"`;
    return jsonRpcError(401, -32001, `Unauthorized: ${check.message}`, { "www-authenticate": challenge });
  }
  if (request.method !== "POST") {
    return jsonRpcError(405, ErrorCode.InvalidRequest, "Method not allowed: Airlock's MCP endpoint takes POST only.", {
      allow: "POST",
    });
  }
  const bearer = parseBearer(authorization);
  if ("reason" in bearer) return jsonRpcError(401, -32001, "Unauthorized: no API token.");
  const { token } = bearer;
  const read = await readBody(request);
  if (!read.ok) return read.response;

  const initialize = initializeOf(read.body);
  let session: { clientName: string; nonce: string };
  let sessionId: string | undefined;
  if (initialize) {
    const clientName = cleanClientName(initialize.params.clientInfo?.name);
    const requested = initialize.params.protocolVersion;
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    sessionId = createSessionId({ clientName, protocolVersion }, token);
    session = { clientName, nonce: randomBytes(12).toString("base64url") };
  } else {
    const header = request.headers.get(SESSION_HEADER);
    if (!header) {
      return jsonRpcError(
        400,
        ErrorCode.InvalidRequest,
        "Bad request: send initialize first, then the Mcp-Session-Id it returned.",
      );
    }
    const known = readSessionId(header, token);
    if (!known) return jsonRpcError(404, ErrorCode.InvalidRequest, "Session not found: initialize a new session.");
    session = known;
  }

  const server = createGatewayServer({ actor: check.actor.user, clientName: session.clientName, nonce: session.nonce });
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  transport.onerror = (error) => logger.warn("mcp transport error", { error: error.message });
  await server.connect(transport);
  const response = await transport.handleRequest(request, { parsedBody: read.body });
  if (!sessionId) return response;
  const headers = new Headers(response.headers);
  headers.set(SESSION_HEADER, sessionId);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
