/**
 * The approval benchmark's world: the production worker running the demo model (zero
 * token delay) with one DESTRUCTIVE tool, so that every "delete <file>" message makes a run
 * that asks a reviewer once and waits; and the few service calls the benchmark makes, each
 * the same one the app's tRPC procedures make.
 */
import { createConversation, sendMessage } from "../../server/agent/conversations";
import { engineConfigFromEnv } from "../../server/agent/engine-config";
import type { RunOutcome } from "../../server/agent/run-engine";
import { startWorker } from "../../server/agent/worker";
import { decideApproval } from "../../server/approvals/decide-approval";
import { env } from "../../server/env";
import { createDemoModel } from "../../server/models/demo-model";
import { logger } from "../../server/telemetry/logger";
import { findPendingRequestId } from "../../server/testing/approvals";
import { createDeleteFileTool } from "../../server/testing/test-tools";
import { createToolRegistry, type ToolRegistry } from "../../server/tools/registry";

/** How many times each path was really deleted: the exactly-once check reads it. */
export const executions = new Map<string, number>();
/** When each path was first deleted (performance.now()): the approved action really happening. */
export const executedAt = new Map<string, number>();

// The same DESTRUCTIVE tool as the approval tests (server/testing/test-tools.ts): "delete x.txt"
// makes the demo model call it, policy makes it wait for a reviewer. It records the call and touches nothing.
const deleteFile = createDeleteFileTool({
  onDelete: (path) => {
    executions.set(path, (executions.get(path) ?? 0) + 1);
    if (!executedAt.has(path)) executedAt.set(path, performance.now());
  },
});

/** The production worker with the demo model at zero token delay and the DESTRUCTIVE tool. */
export async function startBenchWorker() {
  const tools = createToolRegistry([deleteFile]);
  const model = createDemoModel({ tokenDelayMs: 0 });
  // A run finishes twice here: AWAITING_APPROVAL when it parks, COMPLETED after the approval.
  const outcomes = new Map<string, RunOutcome[]>();
  const waiters = new Map<string, { outcome: RunOutcome; resolve: () => void }[]>();
  const worker = await startWorker({
    deps: { config: engineConfigFromEnv(), tools, resolveModel: () => model, logger },
    concurrency: env().WORKER_CONCURRENCY,
    onRunFinished: (runId, outcome) => {
      outcomes.set(runId, [...(outcomes.get(runId) ?? []), outcome]);
      const pending = waiters.get(runId) ?? [];
      waiters.set(
        runId,
        pending.filter((waiter) => {
          if (waiter.outcome !== outcome) return true;
          waiter.resolve();
          return false;
        }),
      );
    },
  });
  const waitForOutcome = (runId: string, outcome: RunOutcome, timeoutMs = 120_000) => {
    if (outcomes.get(runId)?.includes(outcome)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const seen = outcomes.get(runId)?.join(", ") || "nothing";
        reject(new Error(`run ${runId} did not end ${outcome} within ${timeoutMs} ms (it ended: ${seen})`));
      }, timeoutMs);
      waiters.set(runId, [
        ...(waiters.get(runId) ?? []),
        {
          outcome,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        },
      ]);
    });
  };
  return { tools, worker, outcomes, waitForOutcome };
}

export type BenchWorker = Awaited<ReturnType<typeof startBenchWorker>>;

/** As the chat mutation does: a new conversation, the user's message stored and its run queued. */
export async function askToDelete(ownerId: string, path: string): Promise<string> {
  const conversation = await createConversation({ ownerId });
  return (await sendMessage({ ownerId, conversationId: conversation.id, text: `delete ${path}` })).id;
}

/** The run's pending request (the run must be waiting for one). */
export const pendingRequestOf = findPendingRequestId;

export function approve(tools: ToolRegistry, requestId: string, reviewerId: string) {
  return decideApproval({ requestId, reviewerId, decision: { verdict: "approve" }, tools });
}
