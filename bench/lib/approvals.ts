/**
 * The approval benchmark's world: the production worker running the demo model (zero
 * token delay) with one DESTRUCTIVE tool, so that every "delete <file>" message makes a run
 * that asks a reviewer once and waits; and the few service calls the benchmark makes, each
 * the same one the app's tRPC procedures make.
 */
import { z } from "zod";
import { createConversation, sendMessage } from "../../server/agent/conversations";
import { engineConfigFromEnv } from "../../server/agent/engine-config";
import type { RunOutcome } from "../../server/agent/run-engine";
import { startWorker } from "../../server/agent/worker";
import { decideApproval } from "../../server/approvals/decide-approval";
import { db } from "../../server/db/client";
import { env } from "../../server/env";
import { createDemoModel } from "../../server/models/demo-model";
import { logger } from "../../server/telemetry/logger";
import { defineTool } from "../../server/tools/define-tool";
import { createToolRegistry, type ToolRegistry } from "../../server/tools/registry";

/** How many times each path was really deleted: the exactly-once check reads it. */
export const executions = new Map<string, number>();
/** When each path was first deleted (performance.now()): the approved action really happening. */
export const executedAt = new Map<string, number>();

// The same DESTRUCTIVE tool as server/approvals/approvals.test.ts: "delete x.txt" makes the
// demo model call it, policy makes it wait for a reviewer. It records the call and touches nothing.
const deleteFile = defineTool({
  name: "delete_file",
  description: "Delete a file in the workspace",
  input: z.object({ path: z.string().min(1) }),
  output: z.object({ deleted: z.string() }),
  risk: "DESTRUCTIVE",
  preview: async (input) => ({ summary: `Delete ${input.path}`, format: "text" }),
  async execute(input) {
    executions.set(input.path, (executions.get(input.path) ?? 0) + 1);
    if (!executedAt.has(input.path)) executedAt.set(input.path, performance.now());
    return { deleted: input.path };
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

export async function pendingRequestOf(runId: string): Promise<string> {
  const request = await db().approvalRequest.findFirst({ where: { runId, status: "PENDING" }, select: { id: true } });
  if (!request) throw new Error(`run ${runId} has no pending approval request`);
  return request.id;
}

export function approve(tools: ToolRegistry, requestId: string, reviewerId: string) {
  return decideApproval({ requestId, reviewerId, decision: { verdict: "approve" }, tools });
}
