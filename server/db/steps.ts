/**
 * What the engine persists per step: the Step row, the assistant message, the tool calls
 * it proposed, their transitions, and the tool-results message. Each transition is a
 * conditional update, so a second worker (or a replay) cannot apply it twice.
 */

import type { RiskClass } from "../shared/risk";
import type { RunEventData, ToolCallStatus } from "../shared/run-events";
import { db } from "./client";
import type { Prisma } from "./generated/client";
import { appendRunEvents } from "./run-events";
import { queryOne } from "./sql-batch";
import type { Transaction } from "./transaction";

export class LeaseLostError extends Error {
  constructor(runId: string) {
    super(`This worker no longer holds the lease on run ${runId}`);
    this.name = "LeaseLostError";
  }
}

export const toolCallStateSelect = {
  id: true,
  stepId: true,
  modelCallId: true,
  position: true,
  toolName: true,
  args: true,
  argsHash: true,
  riskClass: true,
  status: true,
  idempotencyKey: true,
  result: true,
  error: true,
  attempts: true,
} satisfies Prisma.ToolCallSelect;

export type ToolCallState = Prisma.ToolCallGetPayload<{ select: typeof toolCallStateSelect }>;

export interface HistoryMessage {
  role: "USER" | "ASSISTANT" | "TOOL";
  parts: unknown;
}

export interface RunState {
  run: {
    id: string;
    conversationId: string;
    userId: string;
    userRole: "USER" | "REVIEWER" | "ADMIN";
    modelId: string;
    stepCount: number;
    status: string;
    cancelRequested: boolean;
  };
  messages: HistoryMessage[];
  lastStep: { index: number; finishReason: string; id: string } | null;
  lastStepToolCalls: ToolCallState[];
  lastStepHasResults: boolean;
}

interface RunStateRow {
  run: {
    id: string;
    conversationId: string;
    userId: string;
    modelId: string;
    stepCount: number;
    status: string;
    cancelRequested: boolean;
    userRole: "USER" | "REVIEWER" | "ADMIN";
  } | null;
  messages: { role: HistoryMessage["role"]; parts: unknown; runId: string | null; stepIndex: number | null }[];
  lastStep: { id: string; index: number; finishReason: string } | null;
  toolCalls: ToolCallState[];
  sensitiveResults: { toolName: string; result: unknown }[];
}

/**
 * Everything a worker needs to resume a run — the run, the conversation's messages, the
 * last step and its calls, and the results of sensitive reads to keep hidden — in one
 * query, so a run starts (and its first token arrives) without a chain of round trips.
 */
export async function loadRunState(
  runId: string,
): Promise<(RunState & { sensitiveResults: RunStateRow["sensitiveResults"] }) | null> {
  const row = await queryOne<RunStateRow>(
    `WITH target AS (SELECT id, "conversationId" FROM "Run" WHERE id = $1),
          last_step AS (SELECT id, index, "finishReason" FROM "Step" WHERE "runId" = $1 ORDER BY index DESC LIMIT 1)
     SELECT
       (SELECT json_build_object('id', r.id, 'conversationId', r."conversationId", 'userId', r."userId", 'modelId', r."modelId",
                                 'stepCount', r."stepCount", 'status', r.status, 'cancelRequested', r."cancelRequestedAt" IS NOT NULL,
                                 'userRole', u.role)
          FROM "Run" r JOIN "User" u ON u.id = r."userId" WHERE r.id = $1) AS run,
       (SELECT coalesce(json_agg(json_build_object('role', m.role, 'parts', m.parts, 'runId', m."runId", 'stepIndex', m."stepIndex") ORDER BY m.id), '[]'::json)
          FROM "Message" m WHERE m."conversationId" = (SELECT "conversationId" FROM target)) AS messages,
       (SELECT row_to_json(last_step) FROM last_step) AS "lastStep",
       (SELECT coalesce(json_agg(json_build_object('id', t.id, 'stepId', t."stepId", 'modelCallId', t."modelCallId", 'position', t.position,
                                 'toolName', t."toolName", 'args', t.args, 'argsHash', t."argsHash", 'riskClass', t."riskClass",
                                 'status', t.status, 'idempotencyKey', t."idempotencyKey", 'result', t.result, 'error', t.error,
                                 'attempts', t.attempts) ORDER BY t.position), '[]'::json)
          FROM "ToolCall" t WHERE t."stepId" = (SELECT id FROM last_step)) AS "toolCalls",
       (SELECT coalesce(json_agg(json_build_object('toolName', t."toolName", 'result', t.result)), '[]'::json)
          FROM "ToolCall" t JOIN "Run" r ON r.id = t."runId"
          WHERE r."conversationId" = (SELECT "conversationId" FROM target)
            AND t."riskClass" = 'SENSITIVE_READ' AND t.status = 'SUCCEEDED') AS "sensitiveResults"`,
    [runId],
  );
  if (!row?.run) return null;
  const { run, messages, lastStep } = row;
  const lastStepHasResults =
    lastStep !== null &&
    messages.some(
      (message) => message.runId === runId && message.stepIndex === lastStep.index && message.role === "TOOL",
    );
  return {
    run,
    messages: messages.map(({ role, parts }) => ({ role, parts })),
    lastStep,
    lastStepToolCalls: lastStep ? row.toolCalls : [],
    lastStepHasResults,
    sensitiveResults: row.sensitiveResults,
  };
}

async function assertLease(tx: Transaction, runId: string, workerId: string, stepCount?: number): Promise<void> {
  const count = await tx.$executeRawUnsafe(
    `UPDATE "Run" SET "stepCount" = coalesce($3, "stepCount"), "updatedAt" = now()
     WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'`,
    runId,
    workerId,
    stepCount ?? null,
  );
  if (count !== 1) throw new LeaseLostError(runId);
}

export interface ProposedToolCall {
  modelCallId: string;
  toolName: string;
  args: unknown;
  argsHash: string;
  /** Set when the call was refused before being stored (unknown tool, invalid arguments). */
  refusal?: string;
}

export interface CommitStepInput {
  runId: string;
  workerId: string;
  conversationId: string;
  index: number;
  modelId: string;
  finishReason: string;
  inputTokens?: number;
  outputTokens?: number;
  latencyMs: number;
  ttftMs?: number;
  assistantParts: unknown[];
  toolCalls: ProposedToolCall[];
  events: RunEventData[];
}

/** Commits a finished model step atomically; returns the step's id and stored tool calls. */
export async function commitStep(input: CommitStepInput): Promise<{ stepId: string; toolCalls: ToolCallState[] }> {
  return db().$transaction(async (tx) => {
    await assertLease(tx, input.runId, input.workerId, input.index + 1);
    const step = await tx.step.create({
      data: {
        runId: input.runId,
        index: input.index,
        modelId: input.modelId,
        finishReason: input.finishReason,
        inputTokens: input.inputTokens ?? null,
        outputTokens: input.outputTokens ?? null,
        latencyMs: input.latencyMs,
        ttftMs: input.ttftMs ?? null,
      },
      select: { id: true },
    });
    if (input.assistantParts.length > 0) {
      await tx.message.create({
        data: {
          conversationId: input.conversationId,
          runId: input.runId,
          stepIndex: input.index,
          role: "ASSISTANT",
          parts: input.assistantParts as Prisma.InputJsonValue,
        },
        select: { id: true },
      });
    }
    let toolCalls: ToolCallState[] = [];
    if (input.toolCalls.length > 0) {
      await tx.toolCall.createMany({
        data: input.toolCalls.map((call, position) => ({
          runId: input.runId,
          stepId: step.id,
          modelCallId: call.modelCallId,
          position,
          toolName: call.toolName,
          args: (call.args ?? null) as Prisma.InputJsonValue,
          argsHash: call.argsHash,
          idempotencyKey: `${input.runId}:${input.index}:${position}`,
          status: call.refusal ? "REFUSED" : "PENDING",
          error: call.refusal ?? null,
          finishedAt: call.refusal ? new Date() : null,
        })),
      });
      toolCalls = await tx.toolCall.findMany({
        where: { stepId: step.id },
        orderBy: { position: "asc" },
        select: toolCallStateSelect,
      });
    }
    const events: RunEventData[] = [
      ...input.events,
      ...toolCalls.map(
        (call): RunEventData => ({
          type: "tool-call-proposed",
          stepIndex: input.index,
          toolCallId: call.id,
          toolName: call.toolName,
          args: call.args,
        }),
      ),
      ...toolCalls
        .filter((call) => call.status === "REFUSED")
        .map(
          (call): RunEventData => ({
            type: "tool-call-updated",
            stepIndex: input.index,
            toolCallId: call.id,
            status: "REFUSED",
            error: call.error ?? undefined,
          }),
        ),
    ];
    await appendRunEvents(input.runId, events, tx);
    return { stepId: step.id, toolCalls };
  });
}

export interface ToolCallTransition {
  runId: string;
  toolCallId: string;
  stepIndex: number;
  from: ToolCallStatus[];
  to: ToolCallStatus;
  expectedAttempts?: number;
  riskClass?: RiskClass;
  result?: unknown;
  error?: string;
  /** The run event appended with it (the engine builds it: it hides released values). */
  event: RunEventData;
}

/**
 * Runs work in one transaction that first proves this worker still holds the run's
 * lease; a stale worker's writes are refused before they touch anything.
 */
export function withLease<T>(runId: string, workerId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db().$transaction(async (tx) => {
    await assertLease(tx, runId, workerId);
    return work(tx);
  });
}

/**
 * Moves a call to a new status only from one of the given statuses (and, for a retry,
 * only if nobody else has started it since): the exactly-once guard for execution.
 */
export async function updateToolCall(tx: Transaction, options: ToolCallTransition): Promise<boolean> {
  const starting = options.to === "RUNNING";
  const finishing = !["PENDING", "AWAITING_APPROVAL", "APPROVED", "RUNNING"].includes(options.to);
  const updated = await tx.toolCall.updateMany({
    where: {
      id: options.toolCallId,
      status: { in: options.from },
      ...(options.expectedAttempts !== undefined ? { attempts: options.expectedAttempts } : {}),
    },
    data: {
      status: options.to,
      ...(options.riskClass ? { riskClass: options.riskClass } : {}),
      ...(starting ? { attempts: { increment: 1 }, startedAt: new Date() } : {}),
      ...(finishing ? { finishedAt: new Date() } : {}),
      ...(options.result !== undefined ? { result: options.result as Prisma.InputJsonValue } : {}),
      ...(options.error !== undefined ? { error: options.error } : {}),
    },
  });
  if (updated.count !== 1) return false;
  await appendRunEvents(options.runId, [options.event], tx);
  return true;
}

export async function commitToolResults(options: {
  runId: string;
  workerId: string;
  conversationId: string;
  stepIndex: number;
  parts: unknown[];
}): Promise<void> {
  await db().$transaction(async (tx) => {
    await assertLease(tx, options.runId, options.workerId);
    await tx.message.create({
      data: {
        conversationId: options.conversationId,
        runId: options.runId,
        stepIndex: options.stepIndex,
        role: "TOOL",
        parts: options.parts as Prisma.InputJsonValue,
      },
      select: { id: true },
    });
  });
}

export async function readToolCalls(stepId: string): Promise<ToolCallState[]> {
  return db().toolCall.findMany({ where: { stepId }, orderBy: { position: "asc" }, select: toolCallStateSelect });
}
