/**
 * The HTTP API's route table: one entry per endpoint, read by the request handler and by
 * the OpenAPI generator. Every route acts as the API token's user, through the same
 * services, policy and approvals as the chat.
 */
import { requireOwnedRun } from "../agent/conversations";
import { AirlockError } from "../errors";
import { TERMINAL_RUN_STATUSES } from "../shared/run-events";
import { runEventStreamResponse } from "./event-stream";
import { createHttpApiHandler } from "./handle-request";
import { defineRoute } from "./route";
import { cancelRun, listRunApprovals, readRun, startRun } from "./runs";
import {
  cancelRunResponse,
  eventsHeaders,
  eventsQuery,
  pendingApprovalsResponse,
  runEventData,
  runIdParams,
  runOutcomeResponse,
  startRunBody,
  startRunResponse,
} from "./schemas";

export const HTTP_API_ROUTES = [
  defineRoute({
    method: "POST",
    path: "/api/v1/runs",
    operationId: "startRun",
    summary: "Start a run",
    description:
      "Sends a user message to one of your conversations (or a new one) and queues a run that answers it. " +
      "One run per conversation at a time: 409 while the previous one is still going.",
    body: startRunBody,
    success: { status: 201, schema: startRunResponse, description: "The run is queued" },
    errors: [
      { status: 409, description: "The conversation already has a run in progress" },
      { status: 413, description: "The body is larger than 1 MiB" },
      { status: 415, description: "The body is not application/json" },
    ],
    handle: async ({ actor, body }) => ({
      kind: "json",
      status: 201,
      body: await startRun({ userId: actor.user.id, body }),
    }),
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/runs/{runId}",
    operationId: "getRun",
    summary: "Read a run's outcome",
    description: "The run's status, its assistant text, its tool calls with their outcomes, and its pending approvals.",
    params: runIdParams,
    success: { status: 200, schema: runOutcomeResponse, description: "The run as it stands" },
    handle: async ({ actor, params }) => ({
      kind: "json",
      status: 200,
      body: await readRun({ userId: actor.user.id, runId: params.runId }),
    }),
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/runs/{runId}/events",
    operationId: "streamRunEvents",
    summary: "Stream a run's events (SSE)",
    description:
      "Server-Sent Events: every event of the run from the start, or after `Last-Event-ID`, then live, " +
      "until the run finishes. Reconnecting with the last `id:` received resumes with no gap and no repeat. " +
      "A finished run with nothing after `Last-Event-ID` answers 204 (EventSource then stops reconnecting).",
    params: runIdParams,
    query: eventsQuery,
    headers: eventsHeaders,
    success: { status: 200, schema: runEventData, stream: true, description: "text/event-stream of run events" },
    errors: [{ status: 204, description: "The run has finished and every event was delivered" }],
    handle: async ({ actor, params, query, headers, signal, recheck }) => {
      const run = await requireOwnedRun(params.runId, actor.user.id);
      const lastEventId = headers["Last-Event-ID"] ?? query.lastEventId;
      const afterSeq = lastEventId ? Number.parseInt(lastEventId, 10) : 0;
      if (afterSeq > run.lastEventSeq) {
        throw new AirlockError(
          "request:invalid",
          `Last-Event-ID ${afterSeq} is past the run's last event (${run.lastEventSeq}).`,
        );
      }
      if (TERMINAL_RUN_STATUSES.has(run.status) && afterSeq === run.lastEventSeq) {
        return { kind: "raw", response: new Response(null, { status: 204 }) };
      }
      return { kind: "raw", response: runEventStreamResponse({ runId: run.id, afterSeq, signal, recheck }) };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/api/v1/runs/{runId}/approvals",
    operationId: "listPendingApprovals",
    summary: "List a run's pending approvals",
    description:
      "The run's approval requests still waiting for reviewers. A reviewer decides them in the inbox; " +
      "nobody approves their own run's requests.",
    params: runIdParams,
    success: { status: 200, schema: pendingApprovalsResponse, description: "The pending approvals, oldest first" },
    handle: async ({ actor, params }) => ({
      kind: "json",
      status: 200,
      body: await listRunApprovals({ userId: actor.user.id, runId: params.runId }),
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/api/v1/runs/{runId}/cancel",
    operationId: "cancelRun",
    summary: "Cancel a run",
    description: "Stops the run; its pending approvals leave the inbox. A finished run keeps its status.",
    params: runIdParams,
    success: { status: 200, schema: cancelRunResponse, description: "The run's status after the request" },
    handle: async ({ actor, params }) => ({
      kind: "json",
      status: 200,
      body: await cancelRun({ userId: actor.user.id, runId: params.runId }),
    }),
  }),
] as const;

export const handleHttpApiRequest = createHttpApiHandler(HTTP_API_ROUTES);
