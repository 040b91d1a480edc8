/**
 * What one route of the HTTP API declares: method, path, the zod schemas of its path
 * parameters, query, headers and body, its responses, and the handler. The request
 * handler (handle-request.ts) parses with these schemas and the OpenAPI generator
 * (openapi.ts) describes them, so both read the same table (routes.ts).
 */
import type { z } from "zod";
import type { ApiTokenActor } from "../auth/api-tokens";

export type HttpMethod = "GET" | "POST";

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteInput<
  Params extends AnyObject | undefined,
  Query extends AnyObject | undefined,
  Headers extends AnyObject | undefined,
  Body extends z.ZodType | undefined,
> {
  actor: ApiTokenActor;
  params: Params extends AnyObject ? z.infer<Params> : undefined;
  query: Query extends AnyObject ? z.infer<Query> : undefined;
  headers: Headers extends AnyObject ? z.infer<Headers> : undefined;
  body: Body extends z.ZodType ? z.infer<Body> : undefined;
  /** Ends when the client goes away (and the server stops). */
  signal: AbortSignal;
  /** Re-checks the caller's token (long streams ask again now and then). */
  recheck: () => Promise<boolean>;
}

/** A JSON answer validated against `response`; or, for an event stream, a Response of its own. */
export type RouteResult<Response extends z.ZodType> =
  | { kind: "json"; status: number; body: z.infer<Response> }
  | { kind: "raw"; response: globalThis.Response };

export interface RouteDefinition<
  Params extends AnyObject | undefined = AnyObject | undefined,
  Query extends AnyObject | undefined = AnyObject | undefined,
  Headers extends AnyObject | undefined = AnyObject | undefined,
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Response extends z.ZodType = z.ZodType,
> {
  method: HttpMethod;
  /** OpenAPI's spelling: `/api/v1/runs/{runId}`. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  params?: Params;
  query?: Query;
  headers?: Headers;
  body?: Body;
  /** The success status and body; `stream` marks a text/event-stream whose events have this schema. */
  success: { status: number; schema: Response; stream?: boolean; description: string };
  /** The error statuses this route answers with besides 400/401/404 for every route. */
  errors?: { status: number; description: string }[];
  handle(input: RouteInput<Params, Query, Headers, Body>): Promise<RouteResult<Response>>;
}

export type AnyRoute = RouteDefinition<
  AnyObject | undefined,
  AnyObject | undefined,
  AnyObject | undefined,
  z.ZodType | undefined,
  z.ZodType
>;

/** Keeps each route's own types for its handler, and files it in the table as any route. */
export function defineRoute<
  Params extends AnyObject | undefined = undefined,
  Query extends AnyObject | undefined = undefined,
  Headers extends AnyObject | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Response extends z.ZodType = z.ZodType,
>(route: RouteDefinition<Params, Query, Headers, Body, Response>): AnyRoute {
  return route as unknown as AnyRoute;
}
