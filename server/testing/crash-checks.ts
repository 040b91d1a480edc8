/**
 * Checks that crash-test runs came out exactly once: every run completed, with one Step
 * per model call at contiguous indexes, one assistant message per step and one tool
 * message per tool-calling step, every tool call in the expected status, each ledger
 * effect applied as often as it should be (idempotent writes once, non-idempotent
 * appends at most once, never again after an unknown outcome), contiguous RunEvent
 * sequence numbers, and an event log that replays to the committed state.
 *
 * Returns every problem rather than stopping at the first, so one failing seed shows
 * the whole picture.
 */
import type pg from "pg";
import type { RunEventData } from "../shared/run-events";
import { stepTextOf } from "../shared/step-text";
import {
  type CrashPlan,
  finalAnswer,
  LEDGER_TOOL_NAMES,
  type ObservedOutcome,
  PROMPT_PROBLEM_MARKER,
  stepAnnouncement,
} from "./crash-plan";

export interface QueuedCrashRun {
  runId: string;
  plan: CrashPlan;
}

export type ProblemKind = "duplicate" | "lost" | "wrong";

export interface CrashProblem {
  kind: ProblemKind;
  runId: string;
  detail: string;
}

export interface CrashCheckStats {
  runs: number;
  completed: number;
  toolCalls: number;
  unknownOutcomes: number;
  /** Idempotent writes executed more than once (each applied once). */
  reExecutedWrites: number;
  /** Reads executed more than once. */
  retriedReads: number;
  /** Model steps that streamed more than once (a kill mid-stream). */
  restreamedSteps: number;
  duplicates: number;
  lost: number;
}

export interface CrashCheckReport {
  problems: CrashProblem[];
  stats: CrashCheckStats;
}

interface RunRow {
  id: string;
  status: string;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  stepCount: number;
  lastEventSeq: number;
  error: string | null;
}

interface StepRow {
  runId: string;
  index: number;
  finishReason: string;
}

interface MessageRow {
  runId: string;
  stepIndex: number | null;
  role: "USER" | "ASSISTANT" | "TOOL";
  parts: Part[];
}

interface Part {
  type: string;
  text?: string;
  toolCallId?: string;
  toolName?: string;
  output?: { type: string; value?: unknown };
}

interface ToolCallRow {
  id: string;
  runId: string;
  stepIndex: number;
  position: number;
  modelCallId: string;
  toolName: string;
  status: string;
  attempts: number;
  idempotencyKey: string;
}

interface EventRow {
  runId: string;
  seq: number;
  data: {
    type: string;
    status?: string;
    stepIndex?: number;
    text?: string;
    toolCallId?: string;
  };
}

interface LedgerRow {
  idempotencyKey: string;
  tool: string;
  runId: string;
}

type Query = <T extends pg.QueryResultRow>(sql: string, values?: unknown[]) => Promise<T[]>;

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const name = key(row);
    const group = groups.get(name);
    if (group) group.push(row);
    else groups.set(name, [row]);
  }
  return groups;
}

function countBy<T>(rows: T[], key: (row: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return counts;
}

function textOf(parts: Part[]): string {
  return parts
    .filter((part) => part.type === "text")
    .map((part) => part.text ?? "")
    .join("");
}

const OUTCOME_OF_STATUS: Record<string, ObservedOutcome> = { SUCCEEDED: "ok", UNKNOWN_OUTCOME: "unknown outcome" };

export async function checkCrashRuns(query: Query, runs: QueuedCrashRun[]): Promise<CrashCheckReport> {
  const runIds = runs.map((run) => run.runId);
  const [runRows, stepRows, messageRows, callRows, eventRows, ledgerRows, attemptRows] = await Promise.all([
    query<RunRow>(
      `SELECT id, status, "leaseOwner", "leaseExpiresAt", "stepCount", "lastEventSeq", error
       FROM "Run" WHERE id = ANY($1)`,
      [runIds],
    ),
    query<StepRow>(`SELECT "runId", index, "finishReason" FROM "Step" WHERE "runId" = ANY($1)`, [runIds]),
    query<MessageRow>(`SELECT "runId", "stepIndex", role, parts FROM "Message" WHERE "runId" = ANY($1) ORDER BY id`, [
      runIds,
    ]),
    query<ToolCallRow>(
      `SELECT tc.id, tc."runId", s.index AS "stepIndex", tc.position, tc."modelCallId", tc."toolName",
              tc.status, tc.attempts, tc."idempotencyKey"
       FROM "ToolCall" tc JOIN "Step" s ON s.id = tc."stepId"
       WHERE tc."runId" = ANY($1) ORDER BY s.index, tc.position`,
      [runIds],
    ),
    query<EventRow>(`SELECT "runId", seq, data FROM "RunEvent" WHERE "runId" = ANY($1) ORDER BY "runId", seq`, [
      runIds,
    ]),
    query<LedgerRow>(
      `SELECT idempotency_key AS "idempotencyKey", tool, run_id AS "runId" FROM ledger WHERE run_id = ANY($1)`,
      [runIds],
    ),
    query<LedgerRow>(
      `SELECT idempotency_key AS "idempotencyKey", tool, run_id AS "runId" FROM ledger_attempt WHERE run_id = ANY($1)`,
      [runIds],
    ),
  ]);

  const runsById = new Map(runRows.map((row) => [row.id, row]));
  const stepsByRun = groupBy(stepRows, (row) => row.runId);
  const messagesByRun = groupBy(messageRows, (row) => row.runId);
  const callsByRun = groupBy(callRows, (row) => row.runId);
  const eventsByRun = groupBy(eventRows, (row) => row.runId);
  const ledgerByKey = countBy(ledgerRows, (row) => row.idempotencyKey);
  const attemptsByKey = countBy(attemptRows, (row) => row.idempotencyKey);
  const knownKeys = new Set(callRows.map((row) => row.idempotencyKey));

  const problems: CrashProblem[] = [];
  const stats: CrashCheckStats = {
    runs: runs.length,
    completed: 0,
    toolCalls: callRows.length,
    unknownOutcomes: 0,
    reExecutedWrites: 0,
    retriedReads: 0,
    restreamedSteps: 0,
    duplicates: 0,
    lost: 0,
  };

  for (const { runId, plan } of runs) {
    const report = (kind: ProblemKind, detail: string) => problems.push({ kind, runId, detail });
    const run = runsById.get(runId);
    if (!run) {
      report("lost", "the run row is missing");
      continue;
    }
    const calls = callsByRun.get(runId) ?? [];
    const context: RunContext = {
      plan,
      stepCount: plan.length + 1,
      run,
      steps: stepsByRun.get(runId) ?? [],
      calls,
      callsByStep: groupBy(calls, (call) => String(call.stepIndex)),
      messages: messagesByRun.get(runId) ?? [],
      events: eventsByRun.get(runId) ?? [],
      ledgerByKey,
      attemptsByKey,
      stats,
      report,
    };
    checkRunRow(context);
    checkSteps(context);
    checkToolCalls(context);
    checkMessages(context);
    checkEvents(context);
  }

  // Effects no tool call accounts for.
  for (const row of [...ledgerRows, ...attemptRows]) {
    if (!knownKeys.has(row.idempotencyKey)) {
      problems.push({
        kind: "duplicate",
        runId: row.runId,
        detail: `ledger row for unknown key ${row.idempotencyKey}`,
      });
    }
  }
  stats.duplicates = problems.filter((problem) => problem.kind === "duplicate").length;
  stats.lost = problems.filter((problem) => problem.kind === "lost").length;
  return { problems, stats };
}

/** Everything known about one run, and where its problems go. */
interface RunContext {
  plan: CrashPlan;
  /** The plan's tool-calling steps plus the final answer. */
  stepCount: number;
  run: RunRow;
  steps: StepRow[];
  calls: ToolCallRow[];
  callsByStep: Map<string, ToolCallRow[]>;
  messages: MessageRow[];
  events: EventRow[];
  ledgerByKey: Map<string, number>;
  attemptsByKey: Map<string, number>;
  stats: CrashCheckStats;
  report(kind: ProblemKind, detail: string): void;
}

function checkRunRow({ run, stepCount, stats, report }: RunContext): void {
  if (run.status === "COMPLETED") stats.completed++;
  else report("wrong", `status ${run.status}${run.error ? ` (${run.error})` : ""}, expected COMPLETED`);
  if (run.leaseOwner !== null || run.leaseExpiresAt !== null) report("wrong", `still leased by ${run.leaseOwner}`);
  if (run.stepCount !== stepCount) report("wrong", `stepCount ${run.stepCount}, expected ${stepCount}`);
}

/** Exactly one Step per index 0..n, finished the way the plan says. */
function checkSteps({ plan, steps, stepCount, report }: RunContext): void {
  const stepIndexes = countBy(steps, (step) => String(step.index));
  for (let index = 0; index < stepCount; index++) {
    const count = stepIndexes.get(String(index)) ?? 0;
    if (count === 0) report("lost", `step ${index} is missing`);
    if (count > 1) report("duplicate", `step ${index} is stored ${count} times`);
  }
  for (const step of steps) {
    if (step.index >= stepCount) report("duplicate", `unexpected step ${step.index}`);
    const expected = step.index < plan.length ? "tool-calls" : "stop";
    if (step.index < stepCount && step.finishReason !== expected) {
      report("wrong", `step ${step.index} finished with ${step.finishReason}, expected ${expected}`);
    }
  }
}

/** The calls the plan asks for, each executed and applied as often as its kind allows. */
function checkToolCalls(context: RunContext): void {
  const { plan, calls, callsByStep, stats, report } = context;
  for (let index = 0; index < plan.length; index++) {
    const expectedNames = (plan[index] ?? []).map((kind) => LEDGER_TOOL_NAMES[kind]);
    const actualNames = (callsByStep.get(String(index)) ?? []).map((call) => call.toolName);
    if (actualNames.join(",") !== expectedNames.join(",")) {
      report(
        actualNames.length > expectedNames.length ? "duplicate" : "lost",
        `step ${index} has calls [${actualNames}], expected [${expectedNames}]`,
      );
    }
  }
  for (const call of calls) {
    const where = `${call.toolName} of step ${call.stepIndex}`;
    const applied = context.ledgerByKey.get(call.idempotencyKey) ?? 0;
    const executed = context.attemptsByKey.get(call.idempotencyKey) ?? 0;
    // Every execution is preceded by a committed start, so more executions than starts means a blind re-run.
    if (executed > call.attempts) {
      report("duplicate", `${where} executed ${executed} times but was started only ${call.attempts} times`);
    }
    if (call.status === "UNKNOWN_OUTCOME") stats.unknownOutcomes++;
    switch (call.toolName) {
      case LEDGER_TOOL_NAMES.write:
        if (call.status !== "SUCCEEDED") report("wrong", `${where} is ${call.status}, expected SUCCEEDED`);
        if (applied === 0) report("lost", `${where} never applied its idempotency key`);
        if (applied > 1) report("duplicate", `${where} applied ${applied} times`);
        if (executed > 1) stats.reExecutedWrites++;
        break;
      case LEDGER_TOOL_NAMES.append:
        if (call.status !== "SUCCEEDED" && call.status !== "UNKNOWN_OUTCOME") {
          report("wrong", `${where} is ${call.status}, expected SUCCEEDED or UNKNOWN_OUTCOME`);
        }
        if (call.attempts > 1) report("duplicate", `${where} was started ${call.attempts} times`);
        if (executed > 1 || applied > 1) report("duplicate", `${where} executed ${executed}, applied ${applied} times`);
        if (call.status === "SUCCEEDED" && (executed !== 1 || applied !== 1)) {
          report("lost", `${where} succeeded but executed ${executed}, applied ${applied} times`);
        }
        break;
      case LEDGER_TOOL_NAMES.read:
        if (call.status !== "SUCCEEDED") report("wrong", `${where} is ${call.status}, expected SUCCEEDED`);
        if (executed === 0) report("lost", `${where} never executed`);
        if (executed > 1) stats.retriedReads++;
        break;
      default:
        report("wrong", `unexpected tool ${call.toolName}`);
    }
  }
}

/**
 * One USER message, one ASSISTANT message per step saying what the script says, one
 * TOOL message per tool-calling step with one result per call; an unknown outcome is
 * reported to the model as such.
 */
function checkMessages({ plan, stepCount, messages, calls, callsByStep, report }: RunContext): void {
  const users = messages.filter((message) => message.role === "USER");
  if (users.length !== 1) report(users.length > 1 ? "duplicate" : "lost", `${users.length} user messages`);
  for (let index = 0; index < stepCount; index++) {
    const assistants = messages.filter((message) => message.role === "ASSISTANT" && message.stepIndex === index);
    const tools = messages.filter((message) => message.role === "TOOL" && message.stepIndex === index);
    const expectedTools = index < plan.length ? 1 : 0;
    if (assistants.length !== 1) {
      report(assistants.length > 1 ? "duplicate" : "lost", `${assistants.length} assistant messages for step ${index}`);
    }
    if (tools.length !== expectedTools) {
      report(
        tools.length > expectedTools ? "duplicate" : "lost",
        `${tools.length} tool messages for step ${index}, expected ${expectedTools}`,
      );
    }
    const text = assistants[0] ? textOf(assistants[0].parts) : undefined;
    const expectedText =
      index < plan.length
        ? stepAnnouncement(plan, index)
        : finalAnswer(
            calls.map((call) => ({ toolName: call.toolName, outcome: OUTCOME_OF_STATUS[call.status] ?? "error" })),
          );
    if (text?.includes(PROMPT_PROBLEM_MARKER)) {
      report("wrong", `the model saw a broken prompt at step ${index}: ${text}`);
    } else if (text !== undefined && text !== expectedText) {
      report("wrong", `step ${index} says "${text}", expected "${expectedText}"`);
    }
    const toolMessage = tools[0];
    if (!toolMessage) continue;
    const stepCalls = callsByStep.get(String(index)) ?? [];
    if (toolMessage.parts.length !== stepCalls.length) {
      report("wrong", `step ${index} has ${toolMessage.parts.length} tool results for ${stepCalls.length} calls`);
    }
    for (const call of stepCalls) {
      const result = toolMessage.parts.find((part) => part.toolCallId === call.modelCallId);
      if (!result) report("lost", `no tool result for ${call.toolName} of step ${index}`);
      else if (
        call.status === "UNKNOWN_OUTCOME" &&
        !(result.output?.type === "error-text" && String(result.output.value).startsWith("Outcome unknown"))
      ) {
        report("wrong", `the model was not told that ${call.toolName} of step ${index} has an unknown outcome`);
      }
    }
  }
}

/**
 * Contiguous sequence numbers, and a log that replays to the committed state: the run's
 * last status, one step-finished per step, the text streamed after a step's last start
 * equal to the stored text, one proposal per call and its last update equal to the row.
 */
function checkEvents({ run, stepCount, events, messages, calls, stats, report }: RunContext): void {
  const gaps = events.filter((event, position) => event.seq !== position + 1);
  if (gaps.length > 0 || events.length !== run.lastEventSeq) {
    report("wrong", `event seqs are not 1..${run.lastEventSeq} (${events.length} events)`);
  }
  const lastStatus = events.filter((event) => event.data.type === "run-status").at(-1)?.data.status;
  if (lastStatus !== run.status) report("wrong", `last run-status event is ${lastStatus}, run is ${run.status}`);
  const finished = countBy(
    events.filter((event) => event.data.type === "step-finished"),
    (event) => String(event.data.stepIndex),
  );
  for (let index = 0; index < stepCount; index++) {
    const count = finished.get(String(index)) ?? 0;
    if (count !== 1) report(count > 1 ? "duplicate" : "lost", `${count} step-finished events for step ${index}`);
    const starts = events.filter(
      (event) =>
        (event.data.type === "step-started" || event.data.type === "step-resumed") && event.data.stepIndex === index,
    );
    if (starts.length > 1) stats.restreamedSteps++;
    // Folded as every viewer folds it: a step resumed after a crash keeps what it showed.
    const folded = stepTextOf(
      events.map((event) => event.data as RunEventData),
      index,
    );
    const streamed = folded.text;
    // The scripted model repeats itself: a resumed step continues, never replaces its text.
    if (folded.interruptedText) report("wrong", `step ${index} replaced the text it had shown after a resume`);
    const restartAfterText = events.some(
      (event) =>
        event.data.type === "step-started" &&
        event.data.stepIndex === index &&
        events.some(
          (earlier) =>
            earlier.seq < event.seq && earlier.data.type === "text-delta" && earlier.data.stepIndex === index,
        ),
    );
    if (restartAfterText) report("lost", `step ${index} started over after showing text: viewers lost it`);
    const stored = messages.find((message) => message.role === "ASSISTANT" && message.stepIndex === index);
    if (stored && streamed !== textOf(stored.parts)) {
      report("wrong", `step ${index} streamed "${streamed}" but stored "${textOf(stored.parts)}"`);
    }
  }
  for (const call of calls) {
    const proposed = events.filter(
      (event) => event.data.type === "tool-call-proposed" && event.data.toolCallId === call.id,
    ).length;
    if (proposed !== 1) report(proposed > 1 ? "duplicate" : "lost", `${proposed} proposals of ${call.toolName}`);
    const lastUpdate = events
      .filter((event) => event.data.type === "tool-call-updated" && event.data.toolCallId === call.id)
      .at(-1)?.data.status;
    if (lastUpdate !== call.status) {
      report("wrong", `events end ${call.toolName} of step ${call.stepIndex} as ${lastUpdate}, row is ${call.status}`);
    }
  }
}

const SEVERITY: Record<ProblemKind, number> = { duplicate: 0, lost: 1, wrong: 2 };

/** A summary line, then the problems, worst kinds first so a long list cannot hide them. */
export function describeProblems(problems: CrashProblem[], limit = 40): string {
  const counts = countBy(problems, (problem) => problem.kind);
  const summary = `${problems.length} problems: ${counts.get("duplicate") ?? 0} duplicated, ${counts.get("lost") ?? 0} lost, ${counts.get("wrong") ?? 0} wrong`;
  const sorted = [...problems].sort((a, b) => SEVERITY[a.kind] - SEVERITY[b.kind]);
  const lines = sorted.slice(0, limit).map((problem) => `  [${problem.kind}] run ${problem.runId}: ${problem.detail}`);
  if (problems.length > limit) lines.push(`  … and ${problems.length - limit} more`);
  return [summary, ...lines].join("\n");
}
