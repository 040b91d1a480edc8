/**
 * The scripted conversation every framework in the benchmarks is driven through, and the
 * clock that times its model calls.
 *
 * The script answers like a model would, from its prompt alone: it counts the tool
 * results since the last user message and, until `toolSteps` of them came back, asks for
 * `callsPerStep` more tool calls; then it answers in text. Each framework gets a thin
 * adapter to its own model interface around this one function, so all of them run the
 * same turns at zero model latency. Reading the step from the prompt (rather than a
 * counter) also proves each framework really feeds the history back.
 */

export const NOOP_TOOL_NAME = "noop";
export const NOOP_TOOL_DESCRIPTION = "Does nothing and returns at once (benchmark).";

export interface ScriptOptions {
  /** Model calls that ask for tools before the final text answer. */
  toolSteps: number;
  /** Tool calls asked for in each of those model calls (run in parallel by the framework). */
  callsPerStep: number;
  /** Tool to call; defaults to the no-op tool. */
  toolName?: string;
}

export interface ScriptedToolCall {
  id: string;
  toolName: string;
  input: { step: number; call: number };
}

export type ScriptedTurn = { kind: "tool-calls"; calls: ScriptedToolCall[] } | { kind: "text"; text: string };

export const FINAL_TEXT = "All steps are done.";

/** What the model answers after `completedSteps` steps whose tool results it has seen. */
export function scriptedTurn(completedSteps: number, options: ScriptOptions): ScriptedTurn {
  if (completedSteps >= options.toolSteps) return { kind: "text", text: FINAL_TEXT };
  const step = completedSteps + 1;
  return {
    kind: "tool-calls",
    calls: Array.from({ length: options.callsPerStep }, (_, call) => ({
      id: `call_${step}_${call}`,
      toolName: options.toolName ?? NOOP_TOOL_NAME,
      input: { step, call },
    })),
  };
}

export interface ModelCall {
  /** performance.now() when the framework called the model. */
  startedAt: number;
  /** When the model produced its first text token, if it produced text. */
  firstTokenAt?: number;
  /** When the model had handed over its whole answer. */
  finishedAt: number;
}

/**
 * Records when each model call starts and how long the model itself took. The time
 * between the start of one model call and the start of the next is a whole step: the
 * model, the framework turning its answer into tool calls, the tools, persistence and
 * building the next prompt. Minus the model's own time, that is the framework's
 * per-step overhead (the no-op tool's time is left in: it is microseconds, and real
 * tools are the framework's to run).
 */
export class ModelCallClock {
  private calls: ModelCall[] = [];

  /** Call at the model's entry; the returned handle marks its first token and its end. */
  begin(): { firstToken(): void; finish(): void } {
    const call: ModelCall = { startedAt: performance.now(), finishedAt: Number.NaN };
    this.calls.push(call);
    return {
      firstToken: () => {
        call.firstTokenAt ??= performance.now();
      },
      finish: () => {
        call.finishedAt = performance.now();
      },
    };
  }

  /** Forgets recorded calls; call before each run (runs are executed one at a time). */
  reset(): void {
    this.calls = [];
  }

  modelCalls(): readonly ModelCall[] {
    return this.calls;
  }

  /** Per-step overhead in ms for steps 1..n (step k ends when model call k+1 starts). */
  stepOverheads(): number[] {
    return this.stepDurations().map((duration, index) => {
      const call = this.calls[index] as ModelCall;
      return duration - (call.finishedAt - call.startedAt);
    });
  }

  /** Wall time of steps 1..n in ms, model time included. */
  stepDurations(): number[] {
    const durations: number[] = [];
    for (let index = 1; index < this.calls.length; index++) {
      durations.push((this.calls[index] as ModelCall).startedAt - (this.calls[index - 1] as ModelCall).startedAt);
    }
    return durations;
  }
}

/** How one framework is driven: one conversation of the script, timed by the clock. */
export interface FrameworkDriver {
  name: string;
  /** Runs one conversation to its end and returns the per-step overheads (ms) of its steps. */
  runConversation(options: ScriptOptions): Promise<number[]>;
  stop(): Promise<void>;
}
