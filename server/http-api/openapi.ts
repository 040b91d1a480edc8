/**
 * The OpenAPI 3.1 document of the HTTP API (GET /api/openapi.json), generated from the
 * route table and the very zod schemas the routes parse with (zod 4's z.toJSONSchema,
 * JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses). A tiny generator of our own: the
 * table already holds everything a library would ask us to declare a second time.
 */
import { z } from "zod";
import type { AnyRoute } from "./route";
import { HTTP_API_ROUTES } from "./routes";
import { errorResponse } from "./schemas";

type JsonSchema = Record<string, unknown>;

const COMPONENTS_PREFIX = "#/components/schemas/";

/** The schemas that carry an `id` in their .meta(): each becomes a component, referenced by $ref. */
function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: "draft-2020-12",
    io: "output",
    unrepresentable: "any",
    uri: (id) => `${COMPONENTS_PREFIX}${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

/** A schema at its place in an operation: a $ref when it is a component, else inline. */
function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `${COMPONENTS_PREFIX}${id}` };
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
}

function parametersOf(route: AnyRoute) {
  const places = [
    ["path", route.params],
    ["query", route.query],
    ["header", route.headers],
  ] as const;
  return places.flatMap(([place, object]) =>
    Object.entries(object?.shape ?? {}).map(([name, field]) => {
      const schema = field as z.ZodType;
      const { description, ...rest } = schemaOf(schema, "input");
      return {
        name,
        in: place,
        required: place === "path" || !schema.safeParse(undefined).success,
        ...(typeof description === "string" ? { description } : {}),
        schema: rest,
      };
    }),
  );
}

const errorContent = { "application/json": { schema: schemaOf(errorResponse, "output") } };

const COMMON_ERRORS = [
  { status: 400, description: "Invalid input: the message says what, `fieldErrors` where" },
  { status: 401, description: "Missing, malformed, unknown, expired or revoked API token, or a deactivated user" },
  { status: 404, description: "No such run or conversation, or not yours" },
  { status: 503, description: "The database is unreachable; try again" },
];

function operationOf(route: AnyRoute) {
  const errors = [...COMMON_ERRORS, ...(route.errors ?? [])].sort((a, b) => a.status - b.status);
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaOf(route.body, "input") } },
          },
        }
      : {}),
    responses: {
      [String(route.success.status)]: {
        description: route.success.description,
        content: {
          [route.success.stream ? "text/event-stream" : "application/json"]: {
            schema: schemaOf(route.success.schema, "output"),
          },
        },
      },
      ...Object.fromEntries(
        errors.map((error) => [
          String(error.status),
          error.status === 204
            ? { description: error.description }
            : { description: error.description, content: errorContent },
        ]),
      ),
    },
  };
}

export function buildOpenApiDocument(routes: readonly AnyRoute[] = HTTP_API_ROUTES) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operationOf(route);
    paths[route.path] = item;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Airlock HTTP API",
      version: "1.0.0",
      description:
        "Start runs, stream their events and read their outcomes and pending approvals, as the user of a " +
        "per-user API token (create one in your account page). Runs pass the same policy and approvals as " +
        "the chat: destructive tool calls wait for a reviewer.",
    },
    security: [{ apiToken: [] }],
    paths,
    components: {
      securitySchemes: {
        apiToken: {
          type: "http",
          scheme: "bearer",
          description: "`Authorization: Bearer alk_…` — an API token from your account page",
        },
      },
      schemas: componentSchemas(),
    },
  };
}

let cached: string | undefined;

/** GET /api/openapi.json: public (it describes the API; it grants nothing). */
export function openApiResponse(): Response {
  cached ??= JSON.stringify(buildOpenApiDocument());
  return new Response(cached, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "public, max-age=300" },
  });
}
