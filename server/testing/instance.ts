/**
 * One Airlock instance as a child process, for tests, chaos and load runs that need
 * several of them on one database: the app's tRPC router over real HTTP (as
 * app/api/trpc/[trpc]/route.ts serves it), the console's model settings, and the run
 * worker exactly as each app instance starts it (startAppWorker: AIRLOCK_WORKER=off makes
 * a web-only instance), with the app's own SIGTERM handling (agent/shutdown.ts), and its
 * own MCP client connections (mcp/manager.ts, started as instrumentation.ts starts them).
 *
 * The HTTP API (/api/v1, /api/openapi.json) is served as app/api/v1 serves it, with API tokens.
 * /api/mcp is served as app/api/mcp/route.ts serves it (bearer tokens, not the header below).
 *
 * The one difference from the app: the acting user comes from an `x-test-user` header
 * instead of a next-auth cookie (the session version is read from the user's row, as if
 * signed in just now). Sessions have tests of their own; this process is never served.
 *
 * Started by instances.ts as `node --import tsx server/testing/instance.ts <name>` with
 * the configuration in its environment; says `{ type: "ready", port, workerId }` over IPC.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { startAppWorker } from "../agent/app-worker";
import { appRouter } from "../api/root";
import { createInnerContext } from "../api/trpc";
import { db } from "../db/client";
import { handleMcpRequest } from "../gateway/handle-mcp-request";
import { openApiResponse } from "../http-api/openapi";
import { handleHttpApiRequest } from "../http-api/routes";
import { startMcpClients } from "../mcp/manager";
import { startModelConfigSync } from "../models/model-config";

export type InstanceMessage = { type: "ready"; port: number; workerId: string | null; pid: number };

async function contextFor(request: IncomingMessage) {
  const userId = request.headers["x-test-user"];
  if (typeof userId !== "string") return createInnerContext({ userId: null });
  const rows = await db().$queryRawUnsafe<{ sessionVersion: number }[]>(
    `SELECT "sessionVersion" FROM "User" WHERE id = $1`,
    userId,
  );
  return createInnerContext({ userId, sessionVersion: rows[0]?.sessionVersion ?? 1 });
}

/** The HTTP API (app/api/v1) and /api/mcp see the request as Next hands it over: every header, token included. */
function asFetchRequest(request: IncomingMessage, baseUrl: string, pieces: Buffer[], signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  return new Request(`${baseUrl}${request.url}`, {
    method: request.method,
    headers,
    signal,
    ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: Buffer.concat(pieces) }),
  });
}

async function handle(request: IncomingMessage, response: ServerResponse, baseUrl: string): Promise<void> {
  const pieces: Buffer[] = [];
  for await (const piece of request) pieces.push(piece as Buffer);
  // The client going away ends the request's signal, which ends a subscription's stream.
  const gone = new AbortController();
  response.on("close", () => gone.abort());
  const url = request.url?.split("?")[0];
  const answer = url?.startsWith("/api/v1/")
    ? await handleHttpApiRequest(asFetchRequest(request, baseUrl, pieces, gone.signal))
    : url === "/api/openapi.json"
      ? openApiResponse()
      : url === "/api/mcp"
        ? await handleMcpRequest(asFetchRequest(request, baseUrl, pieces, gone.signal))
        : await fetchRequestHandler({
            endpoint: "/api/trpc",
            req: new Request(`${baseUrl}${request.url}`, {
              method: request.method,
              headers: {
                "content-type": "application/json",
                accept: String(request.headers.accept ?? "*/*"),
                ...(typeof request.headers["last-event-id"] === "string"
                  ? { "last-event-id": request.headers["last-event-id"] }
                  : {}),
              },
              signal: gone.signal,
              ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: Buffer.concat(pieces) }),
            }),
            router: appRouter,
            createContext: () => contextFor(request),
          });
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  const reader = answer.body?.getReader();
  for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) {
    response.write(chunk.value);
  }
  response.end();
}

async function main() {
  let baseUrl = "";
  const server = createServer((request, response) => {
    handle(request, response, baseUrl).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  await startModelConfigSync();
  // As instrumentation.ts: this instance connects to the enabled MCP servers on its own and follows every change.
  await startMcpClients();
  const worker = await startAppWorker();
  // An orphan must not keep claiming runs after its test has gone.
  process.once("disconnect", () => process.exit(1));
  process.send?.({ type: "ready", port, workerId: worker?.id ?? null, pid: process.pid } satisfies InstanceMessage);
}

main().catch((error) => {
  process.stderr.write(`instance failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(2);
});
