/**
 * Waits, without polling, until a run's status satisfies `done`, the time is up or the
 * signal aborts: it follows the run's events (LISTEN/NOTIFY, any instance may write them).
 */
import { streamRunEvents } from "../../agent/run-stream";
import { readRunOutcome } from "../../db/gateway";
import type { RunStatus } from "../../shared/run-events";

export async function waitForRun(options: {
  runId: string;
  done: (status: RunStatus) => boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<void> {
  const current = await readRunOutcome(options.runId);
  if (!current || options.done(current.status)) return;
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const signal = AbortSignal.any(signals);
  for await (const event of streamRunEvents({ runId: options.runId, afterSeq: current.lastEventSeq, signal })) {
    if (event.data.type === "run-status" && options.done(event.data.status)) return;
  }
}
