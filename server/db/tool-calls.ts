/**
 * Tool call transitions made by people rather than the worker holding the run's lease
 * (a reviewer's decision, an expiry, a requester's cancel): conditional on the current
 * status, with the run event in the same transaction.
 */
import type { ToolCallStatus } from "../shared/run-events";
import { db } from "./client";
import { appendRunEvents } from "./run-events";
import type { Transaction } from "./transaction";

/** Moves a call between statuses and appends its run event; false when it was no longer in `from`. Two round trips. */
export async function setToolCallStatus(
  tx: Transaction,
  options: {
    toolCallId: string;
    from: ToolCallStatus[];
    to: ToolCallStatus;
    error?: string;
    result?: unknown;
    /** The run event's copy of the error, when others must not see all of it (released values hidden). */
    eventError?: string;
  },
): Promise<boolean> {
  const terminal = ["SUCCEEDED", "FAILED", "REFUSED", "CANCELLED", "UNKNOWN_OUTCOME"].includes(options.to);
  // The step's index comes back with the update: the event names it.
  const rows = await tx.$queryRawUnsafe<{ runId: string; stepIndex: number }[]>(
    `UPDATE "ToolCall" AS call SET
       status = $2::"ToolCallStatus",
       error = CASE WHEN $3::boolean THEN $4 ELSE call.error END,
       "finishedAt" = CASE WHEN $5::boolean THEN now() ELSE call."finishedAt" END,
       result = CASE WHEN $7::boolean THEN $8::jsonb ELSE call.result END
     FROM "Step" AS step
     WHERE call.id = $1 AND call.status = ANY($6::"ToolCallStatus"[]) AND step.id = call."stepId"
     RETURNING call."runId", step.index AS "stepIndex"`,
    options.toolCallId,
    options.to,
    options.error !== undefined,
    options.error ?? null,
    terminal,
    options.from,
    options.result !== undefined,
    options.result === undefined ? null : JSON.stringify(options.result),
  );
  const call = rows[0];
  if (!call) return false;
  await appendRunEvents(
    call.runId,
    [
      {
        type: "tool-call-updated",
        stepIndex: call.stepIndex,
        toolCallId: options.toolCallId,
        status: options.to,
        ...(options.error !== undefined ? { error: options.eventError ?? options.error } : {}),
        ...(options.result !== undefined ? { result: options.result } : {}),
      },
    ],
    tx,
  );
  return true;
}

/** Results of sensitive reads released in a conversation: what must stay hidden from others. */
export function readSensitiveResults(conversationId: string) {
  return db().toolCall.findMany({
    where: { run: { conversationId }, riskClass: "SENSITIVE_READ", status: "SUCCEEDED" },
    select: { toolName: true, result: true },
  });
}
