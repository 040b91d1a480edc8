/**
 * Recovery after crashes is fair, backed off and bounded. The defect it guards against:
 * in a crash loop, claiming re-took the oldest expired runs first, with no backoff and no
 * cap, so the same long runs restarted again and again while new conversations waited.
 * Expired leases are set in the database (a dead worker's runs), so nothing here waits
 * on a clock.
 */
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { claimNextRun } from "../db/runs";
import { metrics } from "../telemetry/metrics";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
} from "../testing/fixtures";
import { claimRunnableRun } from "./recovery";

let database: TestDatabase;
let userId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await createTestUser()).id;
});
afterAll(async () => database?.drop());

/** A model whose stream says nothing until it is aborted: the run holds its slot. */
const silentModel: LanguageModelV4 = {
  specificationVersion: "v4",
  provider: "test",
  modelId: "silent",
  supportedUrls: {},
  async doGenerate() {
    throw new Error("not used");
  },
  async doStream(options: { abortSignal?: AbortSignal }) {
    const stream = new ReadableStream({
      start(controller) {
        options.abortSignal?.addEventListener("abort", () => controller.error(options.abortSignal?.reason), {
          once: true,
        });
      },
    });
    return { stream };
  },
} as unknown as LanguageModelV4;

async function queueRuns(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const conversation = await createTestConversation(userId);
    ids.push(await sendTestMessage(userId, conversation.id, `run ${index}`));
  }
  return ids;
}

/** As if their worker died: RUNNING under a lease that expired `agoMs` ago. */
async function orphan(runIds: string[], options: { recoveries?: number; agoMs?: number } = {}) {
  await database.query(
    `UPDATE "Run" SET status = 'RUNNING', "leaseOwner" = 'worker-dead', recoveries = $2,
            "leaseExpiresAt" = now() - ($3::int * interval '1 millisecond'), "createdAt" = "createdAt" - interval '1 hour'
     WHERE id = ANY($1)`,
    [runIds, options.recoveries ?? 0, options.agoMs ?? 10],
  );
}

/** Takes runs out of the queue so the next test sees only its own. */
async function retire(runIds: string[]) {
  await database.query(
    `UPDATE "Run" SET status = 'CANCELLED', "leaseOwner" = NULL, "leaseExpiresAt" = NULL WHERE id = ANY($1)`,
    [runIds],
  );
}

describe("claiming after crashes", () => {
  it("does not let runs recovered from a crash loop starve new ones", async () => {
    const recovering = await queueRuns(4);
    await orphan(recovering, { recoveries: 3 });
    const fresh = await queueRuns(2);
    const worker = await startTestWorker(testEngineDependencies({ model: silentModel }), 4);
    try {
      const deadline = Date.now() + 20_000;
      let claimed: string[] = [];
      while (claimed.length < 4 && Date.now() < deadline) {
        const rows = await database.query<{ id: string }>(`SELECT id FROM "Run" WHERE "leaseOwner" = $1`, [worker.id]);
        claimed = rows.map((row) => row.id);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(claimed).toHaveLength(4);
      // Four slots, four older recovered runs and two new ones: the new ones get their turn.
      expect(claimed).toEqual(expect.arrayContaining(fresh));
    } finally {
      await worker.stop({ graceMs: 5_000 });
    }
    // Stopped, the worker handed every run back: nothing waits for a lease to expire.
    const held = await database.query<{ id: string }>(`SELECT id FROM "Run" WHERE "leaseOwner" = $1`, [worker.id]);
    expect(held).toEqual([]);
    await retire([...recovering, ...fresh]);
  });

  it("alternates fresh and recovered runs, oldest first within each", async () => {
    const recovering = await queueRuns(3);
    await orphan(recovering);
    const fresh = await queueRuns(3);
    const order: string[] = [];
    let preferFresh = true;
    for (let index = 0; index < 6; index++) {
      const claimed = await claimNextRun("worker-alternating", 60_000, { preferFresh });
      expect(claimed).not.toBeNull();
      order.push(claimed?.id ?? "");
      preferFresh = claimed?.recovered ?? true;
    }
    expect(order).toEqual([fresh[0], recovering[0], fresh[1], recovering[1], fresh[2], recovering[2]]);
    await retire([...recovering, ...fresh]);
  });

  it("backs off a run recovered before, doubling with each recovery", async () => {
    const [once, twice] = await queueRuns(2);
    if (!once || !twice) throw new Error("no runs");
    // Lease expired 1.5 s ago. First recovery: no pause beyond the lease. Second: 1 s. Third: 2 s.
    await orphan([once], { recoveries: 0, agoMs: 1_500 });
    await orphan([twice], { recoveries: 2, agoMs: 1_500 });
    const options = { recoveryBackoffMs: 1_000, preferFresh: false };
    const first = await claimNextRun("worker-backoff", 60_000, options);
    expect(first).toMatchObject({ id: once, recovered: true, recoveries: 1 });
    expect(await claimNextRun("worker-backoff", 60_000, options)).toBeNull();
    await orphan([twice], { recoveries: 2, agoMs: 2_500 });
    expect(await claimNextRun("worker-backoff", 60_000, options)).toMatchObject({ id: twice, recoveries: 3 });
    await retire([once, twice]);
  });

  it("fails a run after the recovery cap, telling its user and the audit log, and keeps claiming", async () => {
    const [exhausted, next] = await queueRuns(2);
    if (!exhausted || !next) throw new Error("no runs");
    await orphan([exhausted], { recoveries: 2 });
    const [step] = await database.query<{ id: string }>(
      `INSERT INTO "Step" (id, "runId", index, "modelId", "finishReason", "latencyMs")
       VALUES ('step-' || $1, $1, 0, 'demo', 'tool-calls', 1) RETURNING id`,
      [exhausted],
    );
    for (const [position, risk, status] of [
      [0, "DESTRUCTIVE", "RUNNING"],
      [1, "READ", "RUNNING"],
      [2, "DESTRUCTIVE", "APPROVED"],
    ] as const) {
      await database.query(
        `INSERT INTO "ToolCall" (id, "runId", "stepId", "modelCallId", position, "toolName", args, "argsHash", "riskClass", status, "idempotencyKey")
         VALUES ($1 || '-' || $3::text, $1, $2, 'm' || $3::text, $3::int, 'write_file', '{}', 'h', $4::"RiskClass", $5::"ToolCallStatus", $1 || ':' || $3::text)`,
        [exhausted, step?.id, position, risk, status],
      );
    }
    const counted = async () => ({
      reclaims: (await metrics.leaseReclaims.get()).values[0]?.value ?? 0,
      failed: (await metrics.runsFailedAfterRecoveries.get()).values[0]?.value ?? 0,
    });
    const before = await counted();
    const claimed = await claimRunnableRun({
      workerId: "worker-cap",
      config: { leaseMs: 60_000, maxRecoveries: 2, recoveryBackoffMs: 0 },
      executing: [],
      preferFresh: false,
      logger: testEngineDependencies({}).logger,
    });
    // The exhausted run is not handed to the worker; the next runnable one is.
    expect(claimed).toEqual({ runId: next, recovered: false });
    // The metrics count the reclaimed lease and the run failed after the cap.
    expect(await counted()).toEqual({ reclaims: before.reclaims + 1, failed: before.failed + 1 });

    const [run] = await database.query<{ status: string; error: string; leaseOwner: string | null }>(
      `SELECT status, error, "leaseOwner" FROM "Run" WHERE id = $1`,
      [exhausted],
    );
    expect(run).toMatchObject({ status: "FAILED", leaseOwner: null });
    expect(run?.error).toMatch(/interrupted 3 times/);
    expect(run?.error).toMatch(/A call that was running may have taken effect: a reviewer must check/);
    const calls = await database.query<{ position: number; status: string }>(
      `SELECT position, status::text FROM "ToolCall" WHERE "runId" = $1 ORDER BY position`,
      [exhausted],
    );
    expect(calls.map((call) => call.status)).toEqual(["UNKNOWN_OUTCOME", "CANCELLED", "CANCELLED"]);
    const events = await database.query<{ data: { type: string; status?: string; error?: string } }>(
      `SELECT data FROM "RunEvent" WHERE "runId" = $1 ORDER BY seq`,
      [exhausted],
    );
    expect(events.at(-1)?.data).toEqual({ type: "run-status", status: "FAILED", error: run?.error });
    expect(events.filter((event) => event.data.type === "tool-call-updated")).toHaveLength(3);
    const audit = await database.query<{ action: string; targetId: string; data: Record<string, unknown> }>(
      `SELECT action, "targetId", data FROM "AuditEvent" WHERE action IN ('run.failed-after-recoveries', 'tool-call.unknown-outcome') ORDER BY id`,
    );
    expect(audit).toEqual([
      expect.objectContaining({ action: "tool-call.unknown-outcome", targetId: `${exhausted}-0` }),
      expect.objectContaining({
        action: "run.failed-after-recoveries",
        targetId: exhausted,
        data: { recoveries: 3, unknownOutcomes: 1, cancelledCalls: 2 },
      }),
    ]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
    await retire([next]);
  });
});
