/** A gateway task as the spec's Task object: its row (handle, lifetime) plus the state of its run. */
import type { Task } from "@modelcontextprotocol/sdk/types.js";
import { type GatewayRunOutcome, readRunOutcome } from "../../db/gateway";
import type { GatewayTaskRow } from "../../db/gateway-tasks";
import { type TaskState, taskState } from "./task-state";

export function taskView(row: GatewayTaskRow, outcome: GatewayRunOutcome | null): { task: Task; state: TaskState } {
  const state = taskState(outcome);
  const updated = outcome && outcome.updatedAt > row.createdAt ? outcome.updatedAt : row.createdAt;
  return {
    state,
    task: {
      taskId: row.id,
      status: state.status,
      statusMessage: state.statusMessage,
      ttl: row.ttlMs,
      createdAt: row.createdAt.toISOString(),
      lastUpdatedAt: updated.toISOString(),
      pollInterval: row.pollIntervalMs,
    },
  };
}

/** The task as its run stands now. */
export async function readTaskView(row: GatewayTaskRow) {
  return taskView(row, await readRunOutcome(row.runId));
}
