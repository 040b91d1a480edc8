/**
 * A gateway task's state, read from its run (the database is the truth; the task row is
 * only a handle). The spec's statuses (revision 2025-11-25, tasks/):
 * - `working` while the run is queued, running or waiting for a reviewer. Waiting for
 *   approval is not `input_required`: that status means the *requestor* (the MCP client)
 *   owes input and should call tasks/result to receive the server's requests
 *   (elicitation, sampling); here a human reviewer in Airlock's inbox owes the decision,
 *   so the client keeps polling. The statusMessage says "waiting for approval <id>".
 * - `completed` with the call's result, a rejection included (the reviewer's reason is a
 *   plain non-error result, as on the non-task path);
 * - `failed` when the result is a tool error (isError), as the spec says for tool calls;
 * - `cancelled` when the call was cancelled before it ran (a run cancelled after its
 *   call ran reports the call's outcome).
 */
import type { Task } from "@modelcontextprotocol/sdk/types.js";
import type { GatewayRunOutcome } from "../../db/gateway";
import type { RunStatus } from "../../shared/run-events";
import { outcomeResult, type ToolCallResult } from "../call-tool";

export type TaskStatus = Task["status"];

export interface TaskState {
  status: TaskStatus;
  statusMessage: string;
  /** Set once the status is terminal. */
  result?: ToolCallResult;
}

/** A call in one of these has an outcome of its own, whatever became of its run afterwards. */
const DECIDED_CALL_STATUSES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "REFUSED", "UNKNOWN_OUTCOME"]);

const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL.has(status);
}

function waitingMessage(outcome: GatewayRunOutcome): string {
  const approval = outcome.toolCalls[0]?.approvals[0];
  return approval?.status === "PENDING" ? `waiting for approval ${approval.id}` : "waiting for approval";
}

function terminalState(outcome: GatewayRunOutcome): TaskState {
  const result = outcomeResult(outcome);
  const call = outcome.toolCalls[0];
  const message = result.content.map((part) => part.text).join("");
  // A cancel that came too late (the approved call ran before the run stopped) ends the
  // run CANCELLED, but the call's own outcome is what happened: that is the task's.
  const decided = call !== undefined && DECIDED_CALL_STATUSES.has(call.status);
  if (call?.status === "CANCELLED" || (outcome.status === "CANCELLED" && !decided)) {
    return { status: "cancelled", statusMessage: "The call was cancelled; it was not executed.", result };
  }
  if (result.isError) return { status: "failed", statusMessage: message, result };
  return {
    status: "completed",
    statusMessage: result.structuredContent?.status === "rejected" ? message : "done",
    result,
  };
}

const BY_RUN_STATUS: Record<RunStatus, (outcome: GatewayRunOutcome) => TaskState> = {
  QUEUED: () => ({ status: "working", statusMessage: "queued" }),
  RUNNING: (outcome) => ({
    status: "working",
    statusMessage: outcome.toolCalls[0]?.status === "RUNNING" ? "executing the approved call" : "running",
  }),
  AWAITING_APPROVAL: (outcome) => ({ status: "working", statusMessage: waitingMessage(outcome) }),
  COMPLETED: terminalState,
  FAILED: terminalState,
  CANCELLED: terminalState,
};

export function taskState(outcome: GatewayRunOutcome | null): TaskState {
  if (!outcome) {
    return { status: "failed", statusMessage: "The run of this call no longer exists.", result: outcomeResult(null) };
  }
  return BY_RUN_STATUS[outcome.status](outcome);
}
