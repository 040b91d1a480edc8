/**
 * Tool call transitions made by people rather than the worker holding the run's lease
 * (a reviewer's decision, an expiry, a requester's cancel): conditional on the current
 * status, with the run event in the same transaction.
 */
import type { ToolCallStatus } from "../shared/run-events";
import { db } from "./client";
import { appendRunEvents } from "./run-events";
import type { Transaction } from "./transaction";

export async function setToolCallStatus(
  tx: Transaction,
  options: { toolCallId: string; from: ToolCallStatus[]; to: ToolCallStatus; error?: string },
): Promise<boolean> {
  const terminal = ["SUCCEEDED", "FAILED", "REFUSED", "CANCELLED", "UNKNOWN_OUTCOME"].includes(options.to);
  const updated = await tx.toolCall.updateMany({
    where: { id: options.toolCallId, status: { in: options.from } },
    data: {
      status: options.to,
      ...(options.error !== undefined ? { error: options.error } : {}),
      ...(terminal ? { finishedAt: new Date() } : {}),
    },
  });
  if (updated.count !== 1) return false;
  const call = await tx.toolCall.findUnique({
    where: { id: options.toolCallId },
    select: { runId: true, step: { select: { index: true } } },
  });
  if (call) {
    await appendRunEvents(
      call.runId,
      [
        {
          type: "tool-call-updated",
          stepIndex: call.step.index,
          toolCallId: options.toolCallId,
          status: options.to,
          ...(options.error !== undefined ? { error: options.error } : {}),
        },
      ],
      tx,
    );
  }
  return true;
}

/** Results of sensitive reads released in a conversation: what must stay hidden from others. */
export function readSensitiveResults(conversationId: string) {
  return db().toolCall.findMany({
    where: { run: { conversationId }, riskClass: "SENSITIVE_READ", status: "SUCCEEDED" },
    select: { toolName: true, result: true },
  });
}
