/**
 * The HTTP API's one entry point (app/api/v1/[...path]/route.ts): finds the route, checks
 * the API token (401), parses path parameters, query, headers and the JSON body with the
 * route's zod schemas (400, 413, 415), calls the handler and answers with JSON. Domain
 * errors become their status once, here; bad input is never a 500.
 */
import type { z } from "zod";
import { authenticateApiToken } from "../auth/api-tokens";
import { isDatabaseUnavailable } from "../db/errors";
import { AirlockError, ERROR_STATUS } from "../errors";
import { logger } from "../telemetry/logger";
import type { AnyRoute } from "./route";
import type { errorResponse } from "./schemas";

/** A message of 100,000 characters, escaped as JSON, fits with room to spare. */
export const MAX_BODY_BYTES = 1024 * 1024;

type TrpcCode = (typeof ERROR_STATUS)[keyof typeof ERROR_STATUS];

const HTTP_STATUS: Record<TrpcCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}

export function errorJson(
  status: number,
  code: string,
  message: string,
  extra: { fieldErrors?: Record<string, string>; headers?: Record<string, string> } = {},
): Response {
  const body: z.infer<typeof errorResponse> = {
    error: { code, message, ...(extra.fieldErrors ? { fieldErrors: extra.fieldErrors } : {}) },
  };
  return jsonResponse(status, body, extra.headers);
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fieldErrors?: Record<string, string>,
  ) {
    super(message);
  }
}

function invalid(where: string, error: z.ZodError): BadRequest {
  const fieldErrors = Object.fromEntries(
    error.issues.map((issue) => [issue.path.length > 0 ? issue.path.join(".") : "(input)", issue.message]),
  );
  const first = error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
  return new BadRequest(400, "request:invalid", `Invalid ${where}: ${first}`, fieldErrors);
}

function parseWith<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(where, parsed.error);
  return parsed.data;
}

/** `/api/v1/runs/{runId}` → a pattern with one group per parameter, in order. */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      const name = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (!name) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(name);
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}$`), names };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(400, "request:invalid", "The path has a malformed percent-encoding.");
  }
}

function queryObject(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(query, key)) {
      throw new BadRequest(400, "request:invalid", `The query parameter "${key}" is given more than once.`);
    }
    query[key] = value;
  }
  return query;
}

async function readJsonBody(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(type.trim())) {
    throw new BadRequest(
      415,
      "request:unsupported-media-type",
      "Send the body as JSON (Content-Type: application/json).",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    throw new BadRequest(
      413,
      "request:too-large",
      `The body is limited to ${MAX_BODY_BYTES.toLocaleString("en")} bytes.`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    size += chunk.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader?.cancel();
      throw new BadRequest(
        413,
        "request:too-large",
        `The body is limited to ${MAX_BODY_BYTES.toLocaleString("en")} bytes.`,
      );
    }
    chunks.push(chunk.value);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BadRequest(400, "request:invalid", "The body is not valid UTF-8.");
  }
  if (text.trim() === "") throw new BadRequest(400, "request:invalid", "The body is empty; send a JSON object.");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest(400, "request:invalid", "The body is not valid JSON.");
  }
}

function headerObject(request: Request, schema: AnyRoute["headers"]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of Object.keys(schema?.shape ?? {})) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

function toErrorResponse(error: unknown, route: AnyRoute | undefined): Response {
  if (error instanceof BadRequest) {
    return errorJson(
      error.status,
      error.code,
      error.message,
      error.fieldErrors ? { fieldErrors: error.fieldErrors } : {},
    );
  }
  if (error instanceof AirlockError) return errorJson(HTTP_STATUS[ERROR_STATUS[error.code]], error.code, error.message);
  if (isDatabaseUnavailable(error)) {
    return errorJson(
      503,
      "database:unavailable",
      "Airlock cannot reach its database right now; try again in a moment.",
      {
        headers: { "retry-after": "2" },
      },
    );
  }
  logger.error("http api request failed", { operation: route?.operationId, error });
  return errorJson(500, "server:error", "Something went wrong on the server. It has been logged.");
}

export function createHttpApiHandler(routes: readonly AnyRoute[]) {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  return async function handleHttpApiRequest(request: Request): Promise<Response> {
    let route: AnyRoute | undefined;
    try {
      const url = new URL(request.url);
      const matches = compiled
        .map((entry) => ({ entry, match: entry.pattern.exec(url.pathname) }))
        .filter((candidate) => candidate.match !== null);
      if (matches.length === 0) {
        return errorJson(404, "route:not-found", `No such endpoint: ${request.method} ${url.pathname}.`);
      }
      const found = matches.find((candidate) => candidate.entry.route.method === request.method);
      if (!found?.match) {
        const allowed = [...new Set(matches.map((candidate) => candidate.entry.route.method))].join(", ");
        return errorJson(405, "route:method-not-allowed", `Use ${allowed} for ${url.pathname}.`, {
          headers: { allow: allowed },
        });
      }
      route = found.entry.route;
      const authorization = request.headers.get("authorization");
      const check = await authenticateApiToken(authorization);
      if (!check.ok) {
        return errorJson(401, `token:${check.reason}`, check.message, {
          headers: {
            "www-authenticate":
              check.reason === "missing" ? 'Bearer realm="airlock"' : 'Bearer realm="airlock", error="invalid_token"',
          },
        });
      }
      const rawParams = Object.fromEntries(
        found.entry.names.map((name, index) => [name, decodeSegment(found.match?.[index + 1] ?? "")]),
      );
      const params = parseWith(route.params, rawParams, "path");
      const query = route.query ? parseWith(route.query, queryObject(url), "query") : undefined;
      if (!route.query && url.searchParams.size > 0) {
        throw new BadRequest(400, "request:invalid", `${route.method} ${route.path} takes no query parameters.`);
      }
      const headers = parseWith(route.headers, headerObject(request, route.headers), "headers");
      const body = route.body ? parseWith(route.body, await readJsonBody(request), "body") : undefined;
      const result = await route.handle({
        actor: check.actor,
        params,
        query,
        headers,
        body,
        signal: request.signal,
        recheck: async () => (await authenticateApiToken(authorization)).ok,
      } as never);
      if (result.kind === "raw") return result.response;
      // What we answer is what the document says we answer: a mismatch is our bug, caught in tests.
      return jsonResponse(result.status, route.success.schema.parse(result.body));
    } catch (error) {
      return toErrorResponse(error, route);
    }
  };
}
