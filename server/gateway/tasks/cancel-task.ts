/**
 * tasks/cancel through the run's own lifecycle, the one a user's "stop run" uses
 * (agent/conversations cancelRun → db/runs requestRunCancel, audited the same way): the
 * run is cancelled and its pending — or approved but not yet started — approval request
 * with it, so no reviewer can approve it any more. Checked and requested under the run's
 * lock: a cancel that only asked a worker to stop mid-call would cut a destructive call
 * off (UNKNOWN_OUTCOME) — the race test caught exactly that.
 * The spec wants the task cancelled before the answer, or an error when it cannot be:
 * - a terminal task: -32602;
 * - a call a worker is about to run or running (approved, run claimed): -32602, and no
 *   cancel is requested, since it may already have effects;
 * - a run a worker holds otherwise (still proposing the call) stops at its next safe
 *   point: the answer waits for that, and if the call won the race after all, -32602
 *   saying its outcome is the task's result (so does a task that finished meanwhile).
 */
import { ErrorCode, McpError, type Task } from "@modelcontextprotocol/sdk/types.js";
import { recordAuditEvent } from "../../audit/record-audit-event";
import { type GatewayTaskRow, lockRunForCancel } from "../../db/gateway-tasks";
import { requestRunCancel } from "../../db/runs";
import { inTransaction } from "../../db/transaction";
import { TERMINAL_RUN_STATUSES } from "../../shared/run-events";
import { deliverTask } from "./deliver-task";
import { isTerminalStatus } from "./task-state";
import { readTaskView } from "./task-view";
import { waitForRun } from "./wait-for-run";

/** How long a cancel waits for a worker to stop the run it holds. */
const CANCEL_SETTLE_MS = 10_000;

type Verdict = "terminal" | "executing" | "requested";

/** Under the run's lock, so no worker claims it and no decision lands between the check and the cancel. */
function requestCancel(runId: string, actorId: string): Promise<Verdict> {
  return inTransaction(async (tx) => {
    const locked = await lockRunForCancel(runId, tx);
    if (!locked || TERMINAL_RUN_STATUSES.has(locked.status)) return "terminal";
    // A held run with a call past PENDING is running (or about to run) the approved call.
    if (locked.status === "RUNNING" && locked.callStatus !== null && locked.callStatus !== "PENDING") {
      return "executing";
    }
    const status = await requestRunCancel(runId, tx);
    await recordAuditEvent(tx, {
      actorId,
      action: "run.cancel-requested",
      targetType: "run",
      targetId: runId,
      data: { status, via: "mcp tasks/cancel" },
    });
    return "requested";
  });
}

export async function cancelTask(row: GatewayTaskRow, actorId: string): Promise<Task> {
  const before = await readTaskView(row);
  if (isTerminalStatus(before.task.status)) {
    throw new McpError(ErrorCode.InvalidParams, `Cannot cancel task in terminal status: ${before.task.status}.`);
  }
  const verdict = await requestCancel(row.runId, actorId);
  if (verdict === "executing") {
    throw new McpError(
      ErrorCode.InvalidParams,
      "Cannot cancel task: its approved call is being executed; its outcome will be the task's result.",
    );
  }
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
      `Cannot cancel task: it finished before the cancel reached it; its outcome (${after.task.status}) is the task's result.`,
    );
  }
  return after.task;
}
