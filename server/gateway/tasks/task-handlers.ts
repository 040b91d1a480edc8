/**
 * tasks/get, tasks/result, tasks/list and tasks/cancel for the token's user, on the
 * per-request gateway server. Every answer is read from the database (the task row and
 * its run), so a task created on one instance is polled, awaited or cancelled on any
 * other. A task id of another user, a forged one and an expired one are all the same
 * "Task not found" (-32602), so an id's existence leaks nothing.
 */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CancelTaskRequestSchema,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
} from "@modelcontextprotocol/sdk/types.js";
import { readRunOutcomes } from "../../db/gateway";
import { findGatewayTask, type GatewayTaskRow, listGatewayTasks } from "../../db/gateway-tasks";
import type { Role } from "../../shared/risk";
import { TERMINAL_RUN_STATUSES } from "../../shared/run-events";
import { logger } from "../../telemetry/logger";
import { methodOnly, parseRequest } from "../request-params";
import { cancelTask } from "./cancel-task";
import { deliverTask } from "./deliver-task";
import { decodeTaskCursor, encodeTaskCursor } from "./task-cursor";
import { isTerminalStatus } from "./task-state";
import { readTaskView, taskView } from "./task-view";
import { waitForRun } from "./wait-for-run";

export interface TaskCaller {
  actor: { id: string; role: Role };
  /** How long tasks/result blocks for a task that is not terminal yet (MCP_APPROVAL_WAIT_MS). */
  resultWaitMs: number;
}

async function requireTask(taskId: string, caller: TaskCaller): Promise<GatewayTaskRow> {
  const row = await findGatewayTask({ taskId, userId: caller.actor.id });
  if (!row) throw new McpError(ErrorCode.InvalidParams, "Task not found.");
  return row;
}

/** Protocol errors pass; anything else is logged and answered without its details (database text never reaches a client). */
function guarded<A extends unknown[], R>(method: string, handler: (...args: A) => Promise<R>) {
  return async (...args: A): Promise<R> => {
    try {
      return await handler(...args);
    } catch (error) {
      if (error instanceof McpError) throw error;
      logger.error("mcp task request failed", { method, error });
      throw new McpError(
        ErrorCode.InternalError,
        "The request failed because of an error on the server. It has been logged.",
      );
    }
  };
}

export function registerTaskHandlers(server: Server, caller: TaskCaller): void {
  server.setRequestHandler(
    methodOnly("tasks/get"),
    guarded("tasks/get", async (raw) => {
      const request = parseRequest(GetTaskRequestSchema, raw, "tasks/get");
      const row = await requireTask(request.params.taskId, caller);
      return (await readTaskView(row)).task;
    }),
  );

  server.setRequestHandler(
    methodOnly("tasks/result"),
    guarded("tasks/result", async (raw, extra) => {
      const request = parseRequest(GetTaskPayloadRequestSchema, raw, "tasks/result");
      const row = await requireTask(request.params.taskId, caller);
      // The spec has tasks/result block until the task is terminal; bounded like a plain call's wait.
      await waitForRun({
        runId: row.runId,
        done: (status) => TERMINAL_RUN_STATUSES.has(status),
        timeoutMs: caller.resultWaitMs,
        signal: extra.signal,
      });
      const { task, state } = await readTaskView(row);
      if (!isTerminalStatus(task.status) || !state.result) {
        throw new McpError(
          ErrorCode.RequestTimeout,
          `Task ${task.taskId} is still ${task.status} (${task.statusMessage}); poll tasks/get and ask for its result again later.`,
        );
      }
      await deliverTask({ taskId: row.id, runId: row.runId, actorId: caller.actor.id, outcome: task.status });
      return { ...state.result, _meta: { [RELATED_TASK_META_KEY]: { taskId: task.taskId } } };
    }),
  );

  server.setRequestHandler(
    methodOnly("tasks/list"),
    guarded("tasks/list", async (raw) => {
      const request = parseRequest(ListTasksRequestSchema, raw, "tasks/list");
      const cursor = request.params?.cursor;
      const after = cursor === undefined ? undefined : decodeTaskCursor(cursor);
      if (after === null) throw new McpError(ErrorCode.InvalidParams, "Invalid cursor.");
      const page = await listGatewayTasks({ userId: caller.actor.id, after });
      const outcomes = await readRunOutcomes([...new Set(page.tasks.map((row) => row.runId))]);
      const tasks = page.tasks.map((row) => taskView(row, outcomes.get(row.runId) ?? null).task);
      return { tasks, ...(page.next ? { nextCursor: encodeTaskCursor(page.next) } : {}) };
    }),
  );

  server.setRequestHandler(
    methodOnly("tasks/cancel"),
    guarded("tasks/cancel", async (raw) => {
      const request = parseRequest(CancelTaskRequestSchema, raw, "tasks/cancel");
      return cancelTask(await requireTask(request.params.taskId, caller), caller.actor.id);
    }),
  );
}
