/**
 * The engine's writes on its hot path. A RunWrite gathers what a step needs stored — the
 * outcomes of calls that finished, the Step row, messages, new calls, run events, audit
 * events — and `applyRunWrite` stores it as one transaction in one round trip: a call of
 * `airlock_write_run` (prisma/functions/), or, when other runs wrote meanwhile, one call of
 * `airlock_write_runs` for all of them (one commit for many streaming runs). Either checks
 * each worker's lease first, so a worker that lost the run writes nothing (LeaseLostError)
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
import { batchedCalls } from "./batched-calls";
import { databaseSignal, LeaseLostError } from "./errors";
import type { Message, Prisma, Step, ToolCall } from "./generated/client";
import { jsonText, queryOne, refusedByServer } from "./sql-batch";

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

/** A run's write as the database function's JSON argument. */
interface RunWriteArgument {
  runId: string;
  json: string;
}

const WRITE_ONE = `SELECT "airlock_write_run"($1::jsonb)`;
const WRITE_MANY = `SELECT "airlock_write_runs"($1::jsonb) AS lost`;

/**
 * Writes from many runs at once go as one call of airlock_write_runs (one transaction,
 * one commit); a lone write as airlock_write_run. Two batches at most in flight, so
 * writes pipeline while the pool keeps connections for everything else.
 */
const writeRuns = batchedCalls<RunWriteArgument, void>({
  maxInFlight: 2,
  maxBatch: 200,
  one: writeOne,
  async many(writes) {
    // One lock order for every batch: two batches holding runs in common cannot deadlock.
    const order = writes
      .map((_, index) => index)
      .sort(
        (a, b) => compareIds((writes[a] as RunWriteArgument).runId, (writes[b] as RunWriteArgument).runId) || a - b,
      );
    const row = await queryOne<{ lost: number[] }>(
      WRITE_MANY,
      [`[${order.map((index) => (writes[index] as RunWriteArgument).json).join(",")}]`],
      "airlock_write_runs",
    );
    const lost = new Set((row?.lost ?? []).map((position) => order[position]));
    return writes.map((write, index) =>
      lost.has(index) ? { error: new LeaseLostError(write.runId) } : { value: undefined },
    );
  },
  // A batch the server refused wrote nothing: each write alone, so one bad write (or a
  // deadlock with another transaction) fails only itself. Any other failure (a FATAL,
  // the connection lost) is the connection's: no retry.
  retryAlone: refusedByServer,
});

async function writeOne(write: RunWriteArgument): Promise<void> {
  await queryOne(WRITE_ONE, [write.json], "airlock_write_run");
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Stores the write in one transaction (one round trip, shared with other runs' writes
 * made meanwhile); LeaseLostError if the worker no longer holds the run.
 */
export async function applyRunWrite(
  run: { runId: string; workerId: string; conversationId: string },
  write: RunWrite,
): Promise<void> {
  await traced(
    "db.run-write",
    databaseSpan("airlock_write_run", write),
    async () => {
      try {
        await writeRuns({ runId: run.runId, json: jsonText({ ...run, ...write }) });
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
