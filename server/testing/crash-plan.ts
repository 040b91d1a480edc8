/**
 * The script a crash-test run follows, written into the user's message so the scripted
 * model (in a worker child process) and the checker (in the test) read the same plan:
 * `crash plan: write | read+write | append` is three tool-calling steps, then a final
 * answer. Each step's calls run in parallel.
 */
import type { SeededRandom } from "./seeded-random";

/** The ledger tools, by what they do to the ledger. */
export const LEDGER_TOOL_NAMES = {
  /** DESTRUCTIVE, idempotent: applies its idempotency key once, however often it runs. */
  write: "ledger_write",
  /** DESTRUCTIVE, not idempotent: every execution appends a row. */
  append: "ledger_append",
  /** READ: counts the run's ledger rows; safe to repeat. */
  read: "ledger_read",
} as const;

export type LedgerToolKind = keyof typeof LEDGER_TOOL_NAMES;
export type LedgerToolName = (typeof LEDGER_TOOL_NAMES)[LedgerToolKind];
export type CrashPlan = LedgerToolKind[][];

const PREFIX = "crash plan:";

export function formatCrashPlan(plan: CrashPlan): string {
  return `${PREFIX} ${plan.map((step) => step.join("+")).join(" | ")}`;
}

/** Reads a plan back from a user message; undefined when the text is not a crash plan. */
export function parseCrashPlan(text: string): CrashPlan | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) return undefined;
  const body = trimmed.slice(PREFIX.length).trim();
  if (body.length === 0) return [];
  return body.split("|").map((step) =>
    step
      .trim()
      .split("+")
      .map((kind) => {
        const name = kind.trim();
        if (!(name in LEDGER_TOOL_NAMES)) throw new Error(`Unknown step "${name}" in crash plan "${text}"`);
        return name as LedgerToolKind;
      }),
  );
}

/** The text the scripted model streams for a tool-calling step (fixed, so it can be checked). */
export function stepAnnouncement(plan: CrashPlan, stepIndex: number): string {
  const names = (plan[stepIndex] ?? []).map((kind) => LEDGER_TOOL_NAMES[kind]);
  return `Step ${stepIndex + 1} of ${plan.length}: calling ${names.join(" and ")} now.`;
}

/** A few tool-calling steps; about a third of the runs include the non-idempotent tool. */
export function randomCrashPlan(random: SeededRandom): CrashPlan {
  const withAppend = random.next() < 0.35;
  const appendStep = withAppend ? random.integer(0, 2) : -1;
  return [0, 1, 2].map((stepIndex): LedgerToolKind[] => {
    if (stepIndex === appendStep) return ["append"];
    return random.pick<LedgerToolKind[]>([["write"], ["read"], ["write", "read"], ["write", "write"]]);
  });
}

/** What the model concluded from one tool result; the checker derives the same from the row. */
export type ObservedOutcome = "ok" | "unknown outcome" | "error";

/** The scripted model's final answer: one outcome per tool result it was given, in order. */
export function finalAnswer(outcomes: { toolName: string; outcome: ObservedOutcome }[]): string {
  const listed = outcomes.map(({ toolName, outcome }) => `${toolName}: ${outcome}`).join("; ");
  return `Done. ${listed || "no tools were called"}.`;
}

/** Marks a prompt the scripted model found inconsistent; the checker fails on any. */
export const PROMPT_PROBLEM_MARKER = "PROMPT PROBLEM";
