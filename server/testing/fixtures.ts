/**
 * Integration-test fixtures: users, conversations, and a worker with injected model and
 * tools, all against the real database of the test file (see database.ts).
 */
import { randomUUID } from "node:crypto";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { createConversation as createConversationService, sendMessage } from "../agent/conversations";
import type { EngineConfig, EngineDependencies } from "../agent/engine-config";
import type { RunOutcome } from "../agent/run-engine";
import { startWorker, type Worker } from "../agent/worker";
import { hashPassword } from "../auth/password";
import { db } from "../db/client";
import { claimNextRun } from "../db/runs";
import { createUser, type SessionUser } from "../db/users";
import { createDemoModel } from "../models/demo-model";
import type { Role } from "../shared/risk";
import { type RunStatus, TERMINAL_RUN_STATUSES } from "../shared/run-events";
import { createLogger } from "../telemetry/logger";
import type { AnyTool } from "../tools/define-tool";
import { createToolRegistry } from "../tools/registry";

let counter = 0;
/**
 * One real argon2id hash per password per test file: sign-in verifies it exactly as in
 * production, without paying the hash (~60 ms of CPU) again for each of the hundreds of
 * users the suite creates. The hashing itself is tested where it is used (sign-in, password change).
 */
const hashes = new Map<string, Promise<string>>();

export async function createTestUser(role: Role = "USER", password = "correct horse battery"): Promise<SessionUser> {
  counter++;
  let passwordHash = hashes.get(password);
  if (!passwordHash) {
    passwordHash = hashPassword(password);
    hashes.set(password, passwordHash);
  }
  return createUser({
    email: `${role.toLowerCase()}-${counter}-${Date.now()}@test.local`,
    name: `${role} ${counter}`,
    role,
    passwordHash: await passwordHash,
  });
}

export async function createTestConversation(ownerId: string, modelId = "demo") {
  return createConversationService({ ownerId, modelId });
}

/** The demo model without its typing delay: deterministic and as fast as the engine lets it be. */
export function instantDemoModel(): LanguageModelV4 {
  return createDemoModel({ tokenDelayMs: 0 });
}

export const TEST_ENGINE_CONFIG: EngineConfig = {
  maxSteps: 10,
  runTimeoutMs: 30_000,
  toolTimeoutMs: 5_000,
  toolConcurrency: 8,
  modelMaxRetries: 2,
  modelIdleTimeoutMs: 5_000,
  modelRetryBaseMs: 20,
  toolOutputCapChars: 64_000,
  leaseMs: 2_000,
  // Crash tests kill workers many times over: the cap and the backoff have tests of their own.
  maxRecoveries: 100,
  recoveryBackoffMs: 0,
};

export function testEngineDependencies(options: {
  model?: LanguageModelV4 | ((modelId: string) => LanguageModelV4);
  tools?: AnyTool[];
  config?: Partial<EngineConfig>;
}): EngineDependencies {
  const { resolveModel } = options.model
    ? { resolveModel: typeof options.model === "function" ? options.model : () => options.model as LanguageModelV4 }
    : { resolveModel: undefined };
  return {
    config: { ...TEST_ENGINE_CONFIG, ...options.config },
    tools: createToolRegistry(options.tools ?? []),
    resolveModel:
      resolveModel ??
      ((modelId: string) => {
        throw new Error(`no model for ${modelId} in this test`);
      }),
    logger: createLogger({ test: true }),
  };
}

export interface TestWorker extends Worker {
  /** Resolves when the run reaches one of the given outcomes as seen by this worker. */
  waitForRun(runId: string, timeoutMs?: number): Promise<RunOutcome>;
}

export async function startTestWorker(deps: EngineDependencies, concurrency = 4): Promise<TestWorker> {
  const finished = new Map<string, RunOutcome>();
  const waiters = new Map<string, (outcome: RunOutcome) => void>();
  const worker = await startWorker({
    deps,
    concurrency,
    pollIntervalMs: 200,
    onRunFinished: (runId, outcome) => {
      finished.set(runId, outcome);
      waiters.get(runId)?.(outcome);
    },
  });
  return {
    ...worker,
    waitForRun(runId, timeoutMs = 20_000) {
      const done = finished.get(runId);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`run ${runId} did not finish within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.set(runId, (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        });
      });
    },
  };
}

/** Sends a message as the user and returns the queued run's id. */
export async function sendTestMessage(ownerId: string, conversationId: string, text: string): Promise<string> {
  return (await sendMessage({ ownerId, conversationId, text })).id;
}

/** A new user's message, its run claimed by a fresh worker id: the identity the engine writes with. */
export async function claimTestRun(role: Role = "USER") {
  const user = await createTestUser(role);
  const conversation = await createTestConversation(user.id);
  const runId = await sendTestMessage(user.id, conversation.id, "hello");
  const workerId = `worker-${randomUUID()}`;
  if ((await claimNextRun(workerId, 60_000))?.id !== runId)
    throw new Error(`another run was claimed instead of ${runId}`);
  return { user, identity: { runId, workerId, conversationId: conversation.id } };
}

/** Polls the database until the run is in a terminal (or the given) status. */
export async function waitForRunStatus(
  runId: string,
  statuses: RunStatus[] = [...TERMINAL_RUN_STATUSES],
  timeoutMs = 20_000,
): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUnique({ where: { id: runId }, select: { status: true } });
    if (run && statuses.includes(run.status)) return run.status;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} is ${run?.status}, not ${statuses.join("/")}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
