/**
 * The set-up every engine-level integration test file repeats, once: a fresh database
 * (database.ts), a worker running the file's tools with the instant demo model (or the
 * model given), the users and messages that start runs, and the approval helpers bound to
 * the same tool registry. `useIntegrationWorld` registers its own beforeAll/afterAll, so a
 * test file calls it at the top level and reads the world from inside its tests.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { afterAll, beforeAll } from "vitest";
import type { EngineConfig, EngineDependencies } from "../agent/engine-config";
import { decideApproval, type ReviewDecision } from "../approvals/decide-approval";
import type { AnyTool } from "../tools/define-tool";
import { findPendingRequestId } from "./approvals";
import { createTestDatabase, type TestDatabase } from "./database";
import {
  createTestConversation,
  createTestUser,
  instantDemoModel,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "./fixtures";
import { createDeleteFileTool } from "./test-tools";

export interface IntegrationWorldOptions {
  tools: AnyTool[];
  /** The model every run uses; the instant demo model unless given. */
  model?: LanguageModelV4 | ((modelId: string) => LanguageModelV4);
  config?: Partial<EngineConfig>;
  /** Once the database exists, before the worker starts: extra tables, triggers, environment, policy. */
  setUp?: (database: TestDatabase) => Promise<void>;
  /** After the worker stopped, before the database is dropped. */
  tearDown?: (database: TestDatabase) => Promise<void>;
  /** false: no worker is started (the file starts its own when it needs one). */
  worker?: boolean;
}

export interface IntegrationWorld {
  readonly database: TestDatabase;
  readonly deps: EngineDependencies;
  /** The running worker (after withoutWorker, the new one). */
  readonly worker: TestWorker;
  /** Stops the worker, runs `work` while none runs (a second one it starts is its own), then starts a fresh worker. */
  withoutWorker<T>(work: () => Promise<T>): Promise<T>;
  /** A new conversation of `owner` (a new USER unless given) with `text` sent: the queued run. */
  startRun(
    text: string,
    owner?: { id: string },
  ): Promise<{ user: { id: string }; conversationId: string; runId: string }>;
  /** Waits until the run waits for approval and returns its pending request's id. */
  pendingRequestOf(runId: string): Promise<string>;
  /** startRun, then its pending request once the run waits for it. */
  requestApprovalFor(
    text: string,
    owner?: { id: string },
  ): Promise<{ user: { id: string }; runId: string; requestId: string }>;
  decide(requestId: string, reviewerId: string, decision: ReviewDecision): ReturnType<typeof decideApproval>;
  approve(requestId: string, reviewerId: string, editedArgs?: unknown): ReturnType<typeof decideApproval>;
  /** The distinct actions in this database's audit log. */
  auditActions(): Promise<string[]>;
  /** The codes of the refused decisions on a request, as the audit log has them, in order. */
  refusalsAudited(requestId: string): Promise<string[]>;
}

export function useIntegrationWorld(options: IntegrationWorldOptions): IntegrationWorld {
  const deps = testEngineDependencies({
    model: options.model ?? instantDemoModel(),
    tools: options.tools,
    ...(options.config ? { config: options.config } : {}),
  });
  let database: TestDatabase | undefined;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    await options.setUp?.(database);
    if (options.worker !== false) worker = await startTestWorker(deps);
  });
  afterAll(async () => {
    await worker?.stop();
    if (database) await options.tearDown?.(database);
    await database?.drop();
  });

  const world: IntegrationWorld = {
    get database() {
      if (!database) throw new Error("the integration world is used before its beforeAll ran");
      return database;
    },
    deps,
    get worker() {
      if (!worker) throw new Error("this integration world runs no worker");
      return worker;
    },
    async withoutWorker(work) {
      await worker?.stop();
      try {
        return await work();
      } finally {
        worker = await startTestWorker(deps);
      }
    },
    async startRun(text, owner) {
      const user = owner ?? (await createTestUser("USER"));
      const conversation = await createTestConversation(user.id);
      return { user, conversationId: conversation.id, runId: await sendTestMessage(user.id, conversation.id, text) };
    },
    async pendingRequestOf(runId) {
      await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
      return findPendingRequestId(runId);
    },
    async requestApprovalFor(text, owner) {
      const { user, runId } = await world.startRun(text, owner);
      return { user, runId, requestId: await world.pendingRequestOf(runId) };
    },
    async auditActions() {
      const rows = await world.database.query<{ action: string }>(`SELECT DISTINCT action FROM "AuditEvent"`);
      return rows.map((row) => row.action);
    },
    async refusalsAudited(requestId) {
      const rows = await world.database.query<{ code: string }>(
        `SELECT data->>'code' AS code FROM "AuditEvent" WHERE action = 'approval.decision-refused' AND "targetId" = $1 ORDER BY id`,
        [requestId],
      );
      return rows.map((row) => row.code);
    },
    decide(requestId, reviewerId, decision) {
      return decideApproval({ requestId, reviewerId, decision, tools: deps.tools });
    },
    approve(requestId, reviewerId, editedArgs) {
      return world.decide(requestId, reviewerId, {
        verdict: "approve",
        ...(editedArgs !== undefined ? { editedArgs } : {}),
      });
    },
  };
  return world;
}

/**
 * The world most approval tests need: delete_file (and any other tools), the ledger of the
 * paths it deleted, and "delete <path>" asked for until its request waits for a reviewer.
 */
export function useDeletionWorld(options: Omit<IntegrationWorldOptions, "tools"> & { otherTools?: AnyTool[] } = {}) {
  const deleted: string[] = [];
  const deleteFile = createDeleteFileTool({
    onDelete: (path) => {
      deleted.push(path);
    },
  });
  const { otherTools, ...rest } = options;
  const world = useIntegrationWorld({ ...rest, tools: [deleteFile, ...(otherTools ?? [])] });
  const requestDeletion = (path: string, owner?: { id: string }) => world.requestApprovalFor(`delete ${path}`, owner);
  return { world, deleted, deleteFile, requestDeletion };
}
