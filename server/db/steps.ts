/**
 * A run's state as the engine reads it (loadRunState: everything a worker needs to resume,
 * in one query) and the slow path's writes: tool call transitions made one at a time,
 * each a conditional update in a transaction that first proves the worker's lease, so a
 * second worker (or a replay) cannot apply one twice. Steps, messages and the fast
 * path's outcomes are written by run-write.ts.
 */

import type { RiskClass } from "../shared/risk";
import type { RunEventData, ToolCallStatus } from "../shared/run-events";
import { traced } from "../telemetry/tracing";
import { db } from "./client";
import { LeaseLostError } from "./errors";
import type { Prisma } from "./generated/client";
import { appendRunEvents } from "./run-events";
import { jsonFieldsOf, queryOne } from "./sql-batch";
import { inTransaction, type Transaction } from "./transaction";

export { LeaseLostError } from "./errors";

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

/** The Run columns a worker resumes from; loadRunState's JSON is built from this select. */
export const runStateSelect = {
  id: true,
  conversationId: true,
  userId: true,
  modelId: true,
  stepCount: true,
  status: true,
  /** Claims so far, this one included: 1 means no earlier attempt streamed anything. */
  attempts: true,
  /** The run's W3C trace context, so every attempt joins one trace without a read of its own. */
  traceContext: true,
} satisfies Prisma.RunSelect;

export interface RunState {
  run: Prisma.RunGetPayload<{ select: typeof runStateSelect }> & {
    userRole: "USER" | "REVIEWER" | "ADMIN";
    cancelRequested: boolean;
  };
  messages: HistoryMessage[];
  lastStep: { index: number; finishReason: string; id: string } | null;
  lastStepToolCalls: ToolCallState[];
  lastStepHasResults: boolean;
}

interface RunStateRow {
  run: RunState["run"] | null;
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
export type LoadedRunState = RunState & { sensitiveResults: RunStateRow["sensitiveResults"] };

export async function loadRunState(runId: string): Promise<LoadedRunState | null> {
  const row = await queryOne<RunStateRow>(
    `WITH target AS (SELECT id, "conversationId" FROM "Run" WHERE id = $1),
          last_step AS (SELECT id, index, "finishReason" FROM "Step" WHERE "runId" = $1 ORDER BY index DESC LIMIT 1)
     SELECT
       (SELECT json_build_object(${jsonFieldsOf(runStateSelect, "r")},
                                 'cancelRequested', r."cancelRequestedAt" IS NOT NULL, 'userRole', u.role)
          FROM "Run" r JOIN "User" u ON u.id = r."userId" WHERE r.id = $1) AS run,
       (SELECT coalesce(json_agg(json_build_object('role', m.role, 'parts', m.parts, 'runId', m."runId", 'stepIndex', m."stepIndex") ORDER BY m.id), '[]'::json)
          FROM "Message" m WHERE m."conversationId" = (SELECT "conversationId" FROM target)) AS messages,
       (SELECT row_to_json(last_step) FROM last_step) AS "lastStep",
       (SELECT coalesce(json_agg(json_build_object(${jsonFieldsOf(toolCallStateSelect, "t")}) ORDER BY t.position), '[]'::json)
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

async function assertLease(tx: Transaction, runId: string, workerId: string): Promise<void> {
  const count = await tx.$executeRawUnsafe(
    `UPDATE "Run" SET "updatedAt" = now() WHERE id = $1 AND "leaseOwner" = $2 AND status = 'RUNNING'`,
    runId,
    workerId,
  );
  if (count !== 1) throw new LeaseLostError(runId);
}

export interface ToolCallTransition {
  runId: string;
  toolCallId: string;
  stepIndex: number;
  /** The statuses the transition leaves (the engine's lifecycle says which). */
  from: readonly ToolCallStatus[];
  to: ToolCallStatus;
  /** The call ends here: it gets its finishedAt. */
  finishes: boolean;
  expectedAttempts?: number;
  riskClass?: RiskClass;
  result?: unknown;
  error?: string;
  /** The run event appended with it (the engine builds it: it hides released values). */
  event: RunEventData;
}

/**
 * Runs work in one transaction that first proves this worker still holds the run's
 * lease; a stale worker's writes are refused before they touch anything. A busy pool
 * makes it wait for its turn, never fail (inTransaction's `leased`).
 */
export function withLease<T>(runId: string, workerId: string, work: (tx: Transaction) => Promise<T>): Promise<T> {
  return traced("db.transaction", { "db.system.name": "postgresql", "db.operation.name": "leased-transaction" }, () =>
    inTransaction(
      async (tx) => {
        await assertLease(tx, runId, workerId);
        return work(tx);
      },
      { leased: true },
    ),
  );
}

/**
 * Moves a call to a new status only from one of the given statuses (and, for a retry,
 * only if nobody else has started it since): the exactly-once guard for execution.
 */
export async function updateToolCall(tx: Transaction, options: ToolCallTransition): Promise<boolean> {
  const starting = options.to === "RUNNING";
  const updated = await tx.toolCall.updateMany({
    where: {
      id: options.toolCallId,
      status: { in: [...options.from] },
      ...(options.expectedAttempts !== undefined ? { attempts: options.expectedAttempts } : {}),
    },
    data: {
      status: options.to,
      ...(options.riskClass ? { riskClass: options.riskClass } : {}),
      ...(starting ? { attempts: { increment: 1 }, startedAt: new Date() } : {}),
      ...(options.finishes ? { finishedAt: new Date() } : {}),
      ...(options.result !== undefined ? { result: options.result as Prisma.InputJsonValue } : {}),
      ...(options.error !== undefined ? { error: options.error } : {}),
    },
  });
  if (updated.count !== 1) return false;
  await appendRunEvents(options.runId, [options.event], tx);
  return true;
}

export async function readToolCalls(stepId: string): Promise<ToolCallState[]> {
  return db().toolCall.findMany({ where: { stepId }, orderBy: { position: "asc" }, select: toolCallStateSelect });
}
