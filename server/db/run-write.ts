/**
 * The engine's writes on its hot path. A RunWrite gathers what a step needs stored — the
 * outcomes of calls that finished, the Step row, messages, new calls, run events, audit
 * events — and `applyRunWrite` stores it as one transaction in one round trip: a call of
 * `airlock_write_run` (prisma/functions/airlock_write_run.sql), which checks the worker's
 * lease first, so a worker that lost the run writes nothing (LeaseLostError, by SQLSTATE)
 * — not even the outcome of a call it ran: the worker that took the run over finds the
 * call RUNNING and treats it as after a crash (reads run again, a write that may have
 * happened becomes UNKNOWN_OUTCOME). Writes that may wait are merged into the next one
 * (`mergeRunWrites`), usually the next step's commit.
 *
 * The RunWrite object is the function's JSON argument as it is; its field names are the
 * columns' names, checked against the Prisma models (ColumnsOf). To change the shape:
 * edit the types here and the function's file together, run `npm run db:migration`, and
 * run server/db/run-write.test.ts, which writes every field and reads each column back.
 */
import type { RiskClass } from "../shared/risk";
import type { RunEventData, ToolCallStatus } from "../shared/run-events";
import { traced } from "../telemetry/tracing";
import type { AuditRecord } from "./audit-events";
import { databaseSignal } from "./errors";
import type { Message, Prisma, Step, ToolCall } from "./generated/client";
import { jsonText, queryOne } from "./sql-batch";

/**
 * A shape whose keys are columns of `Model` (the Prisma model the function writes them
 * to, named as in schema.prisma), each of a type the column holds; Json columns take any
 * value. A column renamed or retyped in the schema breaks these types at `tsc`, and the
 * run-write test ("the run write function accepts every field RunWrite can carry") fails
 * until airlock_write_run is changed with it.
 */
type ColumnsOf<
  Model,
  Shape extends {
    [Key in keyof Shape]: Key extends keyof Model
      ? Prisma.JsonValue extends Model[Key]
        ? unknown
        : Model[Key] | undefined
      : never;
  },
> = Shape;

export type NewStep = ColumnsOf<
  Step,
  {
    id: string;
    index: number;
    modelId: string;
    finishReason: string;
    inputTokens?: number;
    outputTokens?: number;
    latencyMs: number;
    ttftMs?: number;
  }
>;

export type NewMessage = ColumnsOf<Message, { stepIndex: number; role: "ASSISTANT" | "TOOL"; parts: unknown[] }>;

export type NewToolCall = ColumnsOf<
  ToolCall,
  {
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
>;

/**
 * The outcome of a started call; applied only if it is still the attempt this worker
 * started (`attempts` is compared with the column, not written).
 */
export type FinishedCall = ColumnsOf<
  ToolCall,
  { id: string; status: ToolCallStatus; result?: unknown; error?: string; attempts: number }
>;

export interface RunWrite {
  /** Run.stepCount after this write, or null to leave it. */
  stepCount: number | null;
  finished: FinishedCall[];
  step: NewStep | null;
  messages: NewMessage[];
  calls: (NewToolCall & ColumnsOf<ToolCall, { stepId: string }>)[];
  events: RunEventData[];
  audits: AuditRecord[];
}

export function emptyRunWrite(): RunWrite {
  return { stepCount: null, finished: [], step: null, messages: [], calls: [], events: [], audits: [] };
}

export function isEmptyRunWrite(write: RunWrite): boolean {
  return (
    write.stepCount === null &&
    write.step === null &&
    write.finished.length === 0 &&
    write.messages.length === 0 &&
    write.calls.length === 0 &&
    write.events.length === 0 &&
    write.audits.length === 0
  );
}

/** `first` then `then`, as if written in that order. Both are left untouched. */
export function mergeRunWrites(first: RunWrite, then: Partial<RunWrite>): RunWrite {
  if (first.step && then.step) throw new Error("one write holds one step");
  return {
    stepCount: then.stepCount ?? first.stepCount,
    finished: [...first.finished, ...(then.finished ?? [])],
    step: then.step ?? first.step,
    messages: [...first.messages, ...(then.messages ?? [])],
    calls: [...first.calls, ...(then.calls ?? [])],
    events: [...first.events, ...(then.events ?? [])],
    audits: [...first.audits, ...(then.audits ?? [])],
  };
}

/** Stores the write in one transaction (one round trip); LeaseLostError if the worker no longer holds the run. */
export async function applyRunWrite(
  run: { runId: string; workerId: string; conversationId: string },
  write: RunWrite,
): Promise<void> {
  await traced(
    "db.run-write",
    databaseSpan("airlock_write_run", write),
    async () => {
      try {
        await queryOne(`SELECT "airlock_write_run"($1::jsonb)`, [jsonText({ ...run, ...write })], "airlock_write_run");
      } catch (error) {
        throw databaseSignal(error);
      }
    },
    { leaf: true },
  );
}

/** A round trip of the engine's as a client span: what it writes, never the values. */
function databaseSpan(operation: string, write: RunWrite) {
  return {
    "db.system.name": "postgresql",
    "db.operation.name": operation,
    // Counts only when there are some: the span is written out once per step.
    "airlock.write.step": write.step !== null || undefined,
    "airlock.write.calls": write.calls.length || undefined,
    "airlock.write.finished": write.finished.length || undefined,
    "airlock.write.events": write.events.length || undefined,
    "airlock.write.audits": write.audits.length || undefined,
  };
}
