/**
 * tasks/cancel through the run's own lifecycle, the one a user's "stop run" uses
 * (agent/conversations cancelRun): the run is cancelled and its pending — or approved but
 * not yet started — approval request with it, so no reviewer can approve it any more.
 * The spec wants the task cancelled before the answer, or an error when it cannot be:
 * - a terminal task: -32602;
 * - a call a worker is about to run or running (approved, run claimed): -32602, and no
 *   cancel is requested, since it may already have effects;
 * - a run a worker holds otherwise (still proposing the call) stops at its next safe
 *   point: the answer waits for that, and if the call won the race after all, -32602
 *   saying its outcome is the task's result.
 */
import { ErrorCode, McpError, type Task } from "@modelcontextprotocol/sdk/types.js";
import { cancelRun } from "../../agent/conversations";
import { readRunOutcome } from "../../db/gateway";
import type { GatewayTaskRow } from "../../db/gateway-tasks";
import { TERMINAL_RUN_STATUSES } from "../../shared/run-events";
import { deliverTask } from "./deliver-task";
import { isTerminalStatus } from "./task-state";
import { readTaskView } from "./task-view";
import { waitForRun } from "./wait-for-run";

/** How long a cancel waits for a worker to stop the run it holds. */
const CANCEL_SETTLE_MS = 10_000;

export async function cancelTask(row: GatewayTaskRow, actorId: string): Promise<Task> {
  const outcome = await readRunOutcome(row.runId);
  const before = await readTaskView(row);
  if (isTerminalStatus(before.task.status)) {
    throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task in terminal status: ${before.task.status}.`);
  }
  const callStatus = outcome?.toolCalls[0]?.status;
  if (outcome?.status === "RUNNING" && (callStatus === "APPROVED" || callStatus === "RUNNING")) {
    throw new McpError(
      ErrorCode.InvalidParams,
      "Cannot cancel task: its approved call is being executed; its outcome will be the task's result.",
    );
  }
  await cancelRun({ runId: row.runId, userId: actorId });
  await waitForRun({
    runId: row.runId,
    done: (status) => TERMINAL_RUN_STATUSES.has(status),
    timeoutMs: CANCEL_SETTLE_MS,
  });
  const after = await readTaskView(row);
  if (after.task.status === "cancelled") {
    await deliverTask({ taskId: row.id, runId: row.runId, actorId, outcome: "cancelled" });
    return after.task;
  }
  if (isTerminalStatus(after.task.status)) {
    throw new McpError(
      ErrorCode.InvalidParams,
      `Cannot cancel task: its call ran before the cancel reached it; its outcome (${after.task.status}) is the task's result.`,
    );
  }
  return after.task;
}
