/**
 * A task-augmented tools/call (the spec's Tasks utility): the call's run is found or
 * started exactly as for a plain call (call-tool.ts: same policy, same approval request,
 * an undelivered identical call's run picked up), a task row bound to the caller's user
 * is its handle, and the CreateTaskResult goes back at once instead of a request held
 * open while a reviewer decides. The status is the run's (task-state.ts).
 */
import type { CreateTaskResult } from "@modelcontextprotocol/sdk/types.js";
import { readRunOutcome } from "../../db/gateway";
import { createGatewayTask } from "../../db/gateway-tasks";
import { findOrStartRun, type GatewayCall } from "../call-tool";
import { taskView } from "./task-view";
import { waitForRun } from "./wait-for-run";

/** A task lives a day unless the client asks otherwise, at least a minute and at most a week (approvals may take days). */
export const DEFAULT_TASK_TTL_MS = 24 * 60 * 60_000;
export const MIN_TASK_TTL_MS = 60_000;
export const MAX_TASK_TTL_MS = 7 * 24 * 60 * 60_000;
/** What the gateway suggests between two tasks/get: a human decision is not worth polling faster. */
export const TASK_POLL_INTERVAL_MS = 2_000;
/**
 * How long creating a task waits for the run to reach its first stop (a reviewer's
 * inbox, or the end for a call policy lets run), so the first status already names the
 * approval request. A busy worker only makes the first status say "queued".
 */
const FIRST_STOP_WAIT_MS = 2_000;

/** The ttl granted for the one requested: the spec lets the receiver override it. */
export function grantedTtl(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return DEFAULT_TASK_TTL_MS;
  return Math.min(MAX_TASK_TTL_MS, Math.max(MIN_TASK_TTL_MS, Math.round(requested)));
}

export async function createCallTask(options: GatewayCall & { requestedTtl?: number }): Promise<CreateTaskResult> {
  const runId = await findOrStartRun(options);
  const row = await createGatewayTask({
    userId: options.actor.id,
    runId,
    ttlMs: grantedTtl(options.requestedTtl),
    pollIntervalMs: TASK_POLL_INTERVAL_MS,
  });
  await waitForRun({
    runId,
    done: (status) => status !== "QUEUED" && status !== "RUNNING",
    timeoutMs: FIRST_STOP_WAIT_MS,
  });
  return { task: taskView(row, await readRunOutcome(runId)).task };
}
