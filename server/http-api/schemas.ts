/**
 * The HTTP API's request and response shapes, as zod schemas: the handlers parse requests
 * with them and the OpenAPI document (openapi.ts) is generated from the very same objects,
 * so the document cannot drift from what the routes accept and return.
 */
import { z } from "zod";
import { MAX_MESSAGE_CHARS } from "../agent/conversations";
import { RISK_CLASSES } from "../shared/risk";
import { RUN_STATUSES, TOOL_CALL_STATUSES } from "../shared/run-events";
import { int32Cursor, jsonValue, recordId, text } from "../shared/text";

const APPROVAL_STATUSES = ["PENDING", "APPROVED", "CONSUMED", "REJECTED", "EXPIRED", "CANCELLED", "VOIDED"] as const;

const timestamp = z.iso.datetime().meta({ description: "An ISO 8601 UTC timestamp" });

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "A stable code to switch on, e.g. `token:expired`, `run:not-found`" }),
      message: z.string().meta({ description: "What went wrong, written for a person" }),
      fieldErrors: z
        .record(z.string(), z.string())
        .optional()
        .meta({ description: "For invalid input: the message per field (`(input)` for the whole body)" }),
    }),
  })
  .meta({ id: "Error" });

export const runIdParams = z.object({ runId: recordId.meta({ description: "The run's id" }) });

export const startRunBody = z
  .object({
    text: text(MAX_MESSAGE_CHARS, {
      tooLong: `Messages are limited to ${MAX_MESSAGE_CHARS.toLocaleString("en")} characters`,
    })
      .refine((value) => value.trim().length > 0, "Type a message first")
      .meta({ description: "The user message the run answers" }),
    conversationId: recordId
      .optional()
      .meta({ description: "One of your conversations; omitted: a new conversation is created" }),
    title: text(200, { trim: true })
      .optional()
      .meta({ description: "Title of the new conversation (only without conversationId)" }),
    modelId: text(200)
      .optional()
      .meta({ description: "Model of the new conversation (only without conversationId); default: the default model" }),
  })
  .strict()
  .meta({ id: "StartRunRequest" });

export const startRunResponse = z
  .object({
    runId: z.string(),
    conversationId: z.string(),
    status: z.enum(RUN_STATUSES),
    links: z.object({ run: z.string(), events: z.string(), approvals: z.string() }),
  })
  .meta({ id: "StartRunResponse" });

export const eventsHeaders = z.object({
  "Last-Event-ID": int32Cursor
    .optional()
    .meta({ description: "Resume after this event id (the `id:` of the last event received)" }),
});

export const eventsQuery = z
  .object({
    lastEventId: int32Cursor
      .optional()
      .meta({ description: "As the Last-Event-ID header, for clients that cannot set headers; the header wins" }),
  })
  .strict();

export const pendingApproval = z
  .object({
    id: z.string(),
    toolCallId: z.string(),
    toolName: z.string(),
    riskClass: z.enum(RISK_CLASSES),
    status: z.enum(APPROVAL_STATUSES),
    requiredApprovals: z.number().int(),
    approvalsSoFar: z.number().int(),
    reasons: z.array(z.string()).meta({ description: "Why policy asks for approval" }),
    createdAt: timestamp,
    expiresAt: timestamp,
  })
  .meta({ id: "PendingApproval" });

export const pendingApprovalsResponse = z
  .object({ runId: z.string(), approvals: z.array(pendingApproval) })
  .meta({ id: "PendingApprovals" });

export const toolCallOutcome = z
  .object({
    id: z.string(),
    toolName: z.string(),
    riskClass: z.enum(RISK_CLASSES).nullable(),
    status: z.enum(TOOL_CALL_STATUSES),
    error: z.string().nullable(),
    result: jsonValue.nullable().meta({ description: "The tool's result as the model saw it, when it ran" }),
    approval: z
      .object({ id: z.string(), status: z.enum(APPROVAL_STATUSES), decisionReason: z.string().nullable() })
      .nullable(),
  })
  .meta({ id: "ToolCallOutcome" });

export const runOutcomeResponse = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    status: z.enum(RUN_STATUSES),
    finished: z.boolean().meta({ description: "COMPLETED, FAILED or CANCELLED: nothing more will happen" }),
    modelId: z.string(),
    error: z.string().nullable(),
    text: z.string().meta({ description: "The assistant's text of this run, every step in order" }),
    toolCalls: z.array(toolCallOutcome),
    pendingApprovals: z.array(pendingApproval),
    lastEventId: z.number().int().meta({ description: "The id of the run's last event so far" }),
    createdAt: timestamp,
    finishedAt: timestamp.nullable(),
  })
  .meta({ id: "RunOutcome" });

export const cancelRunResponse = z
  .object({ runId: z.string(), status: z.enum(RUN_STATUSES) })
  .meta({ id: "CancelRunResponse" });

/** One Server-Sent Event's `data:` — the run event as the chat's stream carries it. */
export const runEventData = z
  .object({ type: z.string() })
  .catchall(z.unknown())
  .meta({
    id: "RunEvent",
    description:
      "The `data:` of one SSE event (its `event:` is the same `type`; its `id:` the sequence number): " +
      "run-status, step-started, step-resumed, text-delta, step-finished, tool-call-proposed, tool-call-updated. " +
      "The stream ends after the run-status event with COMPLETED, FAILED or CANCELLED.",
  });
