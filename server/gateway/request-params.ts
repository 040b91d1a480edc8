/**
 * Request schemas whose params the handler checks itself. The SDK parses a request with
 * the handler's schema before the handler runs and answers a failure with -32603
 * (internal error) and zod's raw text; a client's malformed params deserve -32602 and a
 * sentence naming the field. So handlers are registered under a schema that only pins
 * the method, and parse the real one with `parseRequest`.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export function methodOnly<M extends string>(method: M) {
  return z.looseObject({ method: z.literal(method), params: z.unknown().optional() });
}

interface RequestSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

export function parseRequest<T>(schema: RequestSchema<T>, request: unknown, method: string): T {
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join(".") : "params";
  throw new McpError(ErrorCode.InvalidParams, `Invalid ${method} request: ${where}: ${issue?.message ?? "invalid"}.`);
}
