/**
 * MCP sessions without server state. The session id the gateway hands out on initialize
 * carries what later requests need (the client's name, the negotiated revision, a random
 * nonce) and an HMAC of it keyed by the bearer token that opened it. Any instance can
 * check it — a client may hit any instance — and it is worthless with another token.
 * It grants nothing by itself: every request is authorised by its own token.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/** Longest client name kept (the conversation's title is "MCP: <name>"). */
export const MAX_CLIENT_NAME_CHARS = 80;
const MAX_SESSION_ID_CHARS = 1_000;

export interface GatewaySession {
  clientName: string;
  protocolVersion: string;
  nonce: string;
}

const payloadSchema = z.object({
  n: z.string().max(MAX_CLIENT_NAME_CHARS),
  v: z.string().max(40),
  s: z.string().max(64),
});

/**
 * A client's self-chosen name made fit for a title: control and format characters
 * (newlines, bidi overrides, zero-width) become spaces, runs of space collapse, and it is
 * cut to MAX_CLIENT_NAME_CHARS.
 */
export function cleanClientName(name: unknown): string {
  const text = typeof name === "string" ? name : "";
  const cleaned = text
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return [...cleaned].slice(0, MAX_CLIENT_NAME_CHARS).join("").trim() || "unnamed client";
}

function signature(payload: string, token: string): Buffer {
  return createHmac("sha256", token).update(`airlock-mcp-session:${payload}`).digest();
}

export function createSessionId(session: Omit<GatewaySession, "nonce">, token: string): string {
  const payload = Buffer.from(
    JSON.stringify({ n: session.clientName, v: session.protocolVersion, s: randomBytes(12).toString("base64url") }),
  ).toString("base64url");
  return `${payload}.${signature(payload, token).toString("base64url")}`;
}

/** The session a header names, or null when it is malformed or was not opened with this token. */
export function readSessionId(sessionId: string, token: string): GatewaySession | null {
  if (sessionId.length > MAX_SESSION_ID_CHARS) return null;
  const [payload, mac, ...rest] = sessionId.split(".");
  if (!payload || !mac || rest.length > 0) return null;
  const expected = signature(payload, token);
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    if (!parsed.success) return null;
    return { clientName: parsed.data.n, protocolVersion: parsed.data.v, nonce: parsed.data.s };
  } catch {
    return null;
  }
}
