/**
 * GatewayTask rows: the MCP gateway's task handles (server/gateway/tasks). Every read is
 * by task id AND the owner's user id, and leaves out expired tasks, so a task id is
 * worthless with another user's token and a task past its ttl is gone. Expired rows are
 * deleted as new tasks are created.
 */
import { randomBytes } from "node:crypto";
import { db } from "./client";
import type { Prisma, RunStatus, ToolCallStatus } from "./generated/client";
import { lockRun } from "./runs";
import type { Transaction } from "./transaction";

const taskSelect = {
  id: true,
  runId: true,
  ttlMs: true,
  pollIntervalMs: true,
  createdAt: true,
  expiresAt: true,
  deliveredAt: true,
} satisfies Prisma.GatewayTaskSelect;

export type GatewayTaskRow = Prisma.GatewayTaskGetPayload<{ select: typeof taskSelect }>;

/** Largest page of tasks/list. */
export const TASK_PAGE_SIZE = 50;

export async function createGatewayTask(options: {
  userId: string;
  runId: string;
  ttlMs: number;
  pollIntervalMs: number;
}): Promise<GatewayTaskRow> {
  await db().gatewayTask.deleteMany({ where: { expiresAt: { lte: new Date() } } });
  const createdAt = new Date();
  return db().gatewayTask.create({
    data: {
      id: randomBytes(32).toString("base64url"),
      userId: options.userId,
      runId: options.runId,
      ttlMs: options.ttlMs,
      pollIntervalMs: options.pollIntervalMs,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + options.ttlMs),
    },
    select: taskSelect,
  });
}

/** The user's live task with this id, or null (unknown, another user's, or expired). */
export function findGatewayTask(options: { taskId: string; userId: string }): Promise<GatewayTaskRow | null> {
  return db().gatewayTask.findFirst({
    where: { id: options.taskId, userId: options.userId, expiresAt: { gt: new Date() } },
    select: taskSelect,
  });
}

export interface TaskCursor {
  createdAt: Date;
  id: string;
}

/** The user's live tasks, newest first, after `cursor`; `next` is set when there are more. */
export async function listGatewayTasks(options: {
  userId: string;
  after?: TaskCursor;
}): Promise<{ tasks: GatewayTaskRow[]; next?: TaskCursor }> {
  const after = options.after;
  const rows = await db().gatewayTask.findMany({
    where: {
      userId: options.userId,
      expiresAt: { gt: new Date() },
      ...(after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: TASK_PAGE_SIZE + 1,
    select: taskSelect,
  });
  const tasks = rows.slice(0, TASK_PAGE_SIZE);
  const last = tasks.at(-1);
  return rows.length > TASK_PAGE_SIZE && last ? { tasks, next: { createdAt: last.createdAt, id: last.id } } : { tasks };
}

/** Marks the task's outcome delivered; true only for the first caller. */
export async function markGatewayTaskDelivered(taskId: string): Promise<boolean> {
  const { count } = await db().gatewayTask.updateMany({
    where: { id: taskId, deliveredAt: null },
    data: { deliveredAt: new Date() },
  });
  return count === 1;
}

/**
 * Locks the run (lockRun: a worker's claim skips it meanwhile, a reviewer's decision
 * waits) and reads what a cancel must know: the run's status and its call's.
 */
export async function lockRunForCancel(
  runId: string,
  tx: Transaction,
): Promise<{ status: RunStatus; callStatus: ToolCallStatus | null } | null> {
  await lockRun(runId, tx);
  const run = await tx.run.findUnique({
    where: { id: runId },
    select: {
      status: true,
      toolCalls: { orderBy: [{ createdAt: "asc" }, { position: "asc" }], take: 1, select: { status: true } },
    },
  });
  return run ? { status: run.status, callStatus: run.toolCalls[0]?.status ?? null } : null;
}
