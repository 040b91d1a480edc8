/**
 * The engine's per-step writes as SQL statements, to be sent together in one round trip
 * (sql-batch.ts). Each batch starts with the lease check, so a worker that lost the run
 * writes nothing; tool call updates are conditional, so nothing is applied twice.
 */
import type { RiskClass } from "../shared/risk";
import type { ToolCallStatus } from "../shared/run-events";
import { jsonb, literal, sql } from "./sql-batch";

export const LEASE_LOST_MARKER = "airlock:lease-lost";

export function assertLeaseStatement(runId: string, workerId: string, stepCount: number | null): string {
  return sql(`SELECT "airlock_assert_lease"($1, $2, $3::int)`, runId, workerId, stepCount);
}

export function insertStepStatement(step: {
  id: string;
  runId: string;
  index: number;
  modelId: string;
  finishReason: string;
  inputTokens?: number;
  outputTokens?: number;
  latencyMs: number;
  ttftMs?: number;
}): string {
  return sql(
    `INSERT INTO "Step" (id, "runId", index, "modelId", "finishReason", "inputTokens", "outputTokens", "latencyMs", "ttftMs")
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    step.id,
    step.runId,
    step.index,
    step.modelId,
    step.finishReason,
    step.inputTokens ?? null,
    step.outputTokens ?? null,
    step.latencyMs,
    step.ttftMs ?? null,
  );
}

export function insertMessageStatement(message: {
  conversationId: string;
  runId: string;
  stepIndex: number;
  role: "ASSISTANT" | "TOOL";
  parts: unknown[];
}): string {
  return sql(
    `INSERT INTO "Message" ("conversationId", "runId", "stepIndex", role, parts) VALUES ($1, $2, $3, $4::"MessageRole", $5)`,
    message.conversationId,
    message.runId,
    message.stepIndex,
    message.role,
    jsonb(message.parts),
  );
}

export interface NewToolCall {
  id: string;
  modelCallId: string;
  position: number;
  toolName: string;
  args: unknown;
  argsHash: string;
  status: ToolCallStatus;
  riskClass: RiskClass | null;
  error: string | null;
  idempotencyKey: string;
}

export function insertToolCallsStatement(runId: string, stepId: string, calls: NewToolCall[]): string | null {
  if (calls.length === 0) return null;
  const rows = calls.map(
    (call) =>
      `(${[
        literal(call.id),
        literal(runId),
        literal(stepId),
        literal(call.modelCallId),
        literal(call.position),
        literal(call.toolName),
        literal(jsonb(call.args ?? {})),
        literal(call.argsHash),
        call.riskClass ? `${literal(call.riskClass)}::"RiskClass"` : "NULL",
        `${literal(call.status)}::"ToolCallStatus"`,
        literal(call.error),
        literal(call.idempotencyKey),
        // A call committed as RUNNING has started: it counts as its first attempt.
        call.status === "RUNNING" ? "1" : "0",
        call.status === "RUNNING" ? "now()" : "NULL",
        call.status === "REFUSED" ? "now()" : "NULL",
      ].join(", ")})`,
  );
  return `INSERT INTO "ToolCall" (id, "runId", "stepId", "modelCallId", position, "toolName", args, "argsHash", "riskClass", status, error, "idempotencyKey", attempts, "startedAt", "finishedAt")
          VALUES ${rows.join(",\n")}`;
}

/** Records a started call's outcome, only if it is still the attempt this worker started. */
export function finishToolCallStatement(call: {
  id: string;
  status: ToolCallStatus;
  result?: unknown;
  error?: string;
  attempts: number;
}): string {
  return sql(
    `UPDATE "ToolCall" SET status = $2::"ToolCallStatus", result = $3, error = $4, "finishedAt" = now()
     WHERE id = $1 AND status = 'RUNNING' AND attempts = $5`,
    call.id,
    call.status,
    call.result === undefined ? null : jsonb(call.result),
    call.error ?? null,
    call.attempts,
  );
}
