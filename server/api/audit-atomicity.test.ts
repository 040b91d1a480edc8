/**
 * "The audit event is written in the same transaction as the state change", tested by
 * making the audit insert fail: a trigger refuses AuditEvent rows of a chosen action,
 * and the decision, the execution record or the configuration change it belongs to must
 * roll back with it — nothing half-written — while the client gets a clean error.
 */
import { getErrorShape, TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { AirlockError } from "../errors";
import { createTestConversation, createTestUser, sendTestMessage, waitForRunStatus } from "../testing/fixtures";
import { useIntegrationWorld } from "../testing/integration";
import { createDeleteFileTool, createReadFileTool } from "../testing/test-tools";
import { appRouter, createCaller } from "./root";
import { createInnerContext } from "./trpc";

const executed: string[] = [];

const deleteFile = createDeleteFileTool({
  onDelete: (path) => {
    executed.push(`delete ${path}`);
  },
});

const readFile = createReadFileTool({
  contents: "contents",
  onRead: (path) => {
    executed.push(`read ${path}`);
  },
});

const FAILURE_MESSAGE = "audit insert refused by the test trigger";

const world = useIntegrationWorld({
  tools: [deleteFile, readFile],
  async setUp(_database) {
    await world.database.query(`CREATE TABLE audit_failure (action text PRIMARY KEY)`);
    await world.database.query(
      `CREATE FUNCTION audit_failure_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM audit_failure WHERE action = NEW.action) THEN
           RAISE EXCEPTION '${FAILURE_MESSAGE} (%)', NEW.action;
         END IF;
         RETURN NEW;
       END $$`,
    );
    await world.database.query(
      `CREATE TRIGGER audit_failure BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION audit_failure_trigger()`,
    );
  },
  async tearDown(_database) {
    await world.database.query(`DROP TRIGGER IF EXISTS audit_failure ON "AuditEvent"`);
    await world.database.query(`DROP FUNCTION IF EXISTS audit_failure_trigger()`);
    await world.database.query(`DROP TABLE IF EXISTS audit_failure`);
  },
});

afterEach(async () => {
  await world.database.query(`DELETE FROM audit_failure`);
});

function failAudit(action: string) {
  return world.database.query(`INSERT INTO audit_failure (action) VALUES ($1)`, [action]);
}

/** What the browser would receive for this error: the real error formatter's shape. */
function clientShape(error: unknown) {
  // A procedure's unexpected error reaches the formatter as an INTERNAL_SERVER_ERROR with it as the cause.
  const trpcError =
    error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error as Error });
  return getErrorShape({
    config: appRouter._def._config,
    error: trpcError,
    type: "mutation",
    path: undefined,
    input: undefined,
    ctx: undefined,
  });
}

async function failureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    return clientShape(error);
  }
  throw new Error("expected the call to fail");
}

/** The service's error as the router would pass it on: an AirlockError is the client's fault, anything else is not. */
async function serviceFailureOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    expect(error).not.toBeInstanceOf(AirlockError);
    return clientShape(error);
  }
  throw new Error("expected the call to fail");
}

function expectCleanServerError(shape: Awaited<ReturnType<typeof failureOf>>) {
  expect(shape.data.code).toBe("INTERNAL_SERVER_ERROR");
  expect(shape.message).toBe("Something went wrong on the server. It has been logged.");
  expect(JSON.stringify(shape)).not.toMatch(/audit|trigger|AuditEvent|Prisma|SQL/i);
}

const { decide } = world;

async function countRows(sql: string, values: unknown[] = []): Promise<number> {
  const [row] = await world.database.query<{ count: string }>(sql, values);
  return Number(row?.count ?? 0);
}

async function pendingDeletion(path: string) {
  const { runId, requestId } = await world.requestApprovalFor(`delete ${path}`);
  return { runId, requestId };
}

async function callStatus(runId: string): Promise<string | undefined> {
  const [call] = await world.database.query<{ status: string }>(`SELECT status FROM "ToolCall" WHERE "runId" = $1`, [
    runId,
  ]);
  return call?.status;
}

async function requestStatus(requestId: string): Promise<string | undefined> {
  const [request] = await world.database.query<{ status: string }>(
    `SELECT status FROM "ApprovalRequest" WHERE id = $1`,
    [requestId],
  );
  return request?.status;
}

describe("an audit insert that fails takes its state change with it", () => {
  it("an approval decision: the request stays pending, no decision row, the call still waits", async () => {
    const { runId, requestId } = await pendingDeletion("decided.txt");
    const reviewerId = (await createTestUser("REVIEWER")).id;
    await failAudit("approval.approved");
    expectCleanServerError(await serviceFailureOf(decide(requestId, reviewerId, { verdict: "approve" })));
    await failAudit("approval.rejected");
    expectCleanServerError(await serviceFailureOf(decide(requestId, reviewerId, { verdict: "reject", reason: "no" })));
    expect(await requestStatus(requestId)).toBe("PENDING");
    expect(await countRows(`SELECT count(*) FROM "ApprovalDecision" WHERE "requestId" = $1`, [requestId])).toBe(0);
    expect(await callStatus(runId)).toBe("AWAITING_APPROVAL");
    const [run] = await world.database.query<{ status: string }>(`SELECT status FROM "Run" WHERE id = $1`, [runId]);
    expect(run?.status).toBe("AWAITING_APPROVAL");
    expect(executed).not.toContain("delete decided.txt");
  });

  it("starting an approved call: the approval is not consumed, the call does not start, nothing runs", async () => {
    const { runId, requestId } = await pendingDeletion("started.txt");
    await failAudit("tool-call.started");
    await decide(requestId, (await createTestUser("REVIEWER")).id, { verdict: "approve" });
    expect(await waitForRunStatus(runId, ["FAILED", "COMPLETED"])).toBe("FAILED");
    // The user is told the server failed, not what the database said.
    const [run] = await world.database.query<{ error: string | null }>(`SELECT error FROM "Run" WHERE id = $1`, [
      runId,
    ]);
    expect(run?.error).toBe("The run failed because of an error on the server. It has been logged.");
    expect(await requestStatus(requestId)).toBe("APPROVED");
    expect(await callStatus(runId)).toBe("APPROVED");
    expect(
      await countRows(`SELECT count(*) FROM "AuditEvent" WHERE action = 'approval.consumed' AND "targetId" = $1`, [
        requestId,
      ]),
    ).toBe(0);
    expect(executed).not.toContain("delete started.txt");
  });

  it("recording an executed call: no SUCCEEDED call without its audit event, on the slow path and the fast path", async () => {
    const { runId, requestId } = await pendingDeletion("executed.txt");
    await failAudit("tool-call.executed");
    await decide(requestId, (await createTestUser("REVIEWER")).id, { verdict: "approve" });
    await waitForRunStatus(runId, ["FAILED", "COMPLETED"]);
    // The effect happened (it is outside the database); its record did not commit, so the
    // call is not reported as succeeded: it is still RUNNING, for recovery to make UNKNOWN_OUTCOME.
    expect(executed).toContain("delete executed.txt");
    expect(await callStatus(runId)).toBe("RUNNING");

    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const readRun = await sendTestMessage(user.id, conversation.id, "show me notes.txt");
    await waitForRunStatus(readRun, ["FAILED", "COMPLETED"]);
    expect(await callStatus(readRun)).not.toBe("SUCCEEDED");
    expect(
      await countRows(
        `SELECT count(*) FROM "ToolCall" t WHERE t.status = 'SUCCEEDED' AND NOT EXISTS (
           SELECT 1 FROM "AuditEvent" a WHERE a.action = 'tool-call.executed' AND a."targetId" = t.id)`,
      ),
    ).toBe(0);
  });

  it("admin configuration changes: rule, tool class and settings are unchanged, the policy version too", async () => {
    const admin = createCaller(createInnerContext({ userId: (await createTestUser("ADMIN")).id }));
    const version = async () =>
      Number(
        (await world.database.query<{ version: number }>(`SELECT version FROM "PolicyState" WHERE id = 1`))[0]?.version,
      );
    const before = await version();
    const settingsBefore = await admin.admin.settings.get();

    await failAudit("policy.rule-created");
    expectCleanServerError(
      await failureOf(
        admin.admin.rules.create({
          toolName: "delete_file",
          description: "never under etc/",
          conditions: [{ path: "args.path", operator: "glob", value: "etc/**" }],
          effect: { decision: "DENY" },
          enabled: true,
        }),
      ),
    );
    await failAudit("policy.tool-class-changed");
    expectCleanServerError(
      await failureOf(admin.admin.tools.setClass({ toolName: "read_file", riskClass: "DISABLED", expectedVersion: 0 })),
    );
    await failAudit("policy.settings-changed");
    expectCleanServerError(
      await failureOf(
        admin.admin.settings.update({
          expectedVersion: settingsBefore.version,
          defaultRequiredApprovals: 3,
          defaultExpiryMinutes: 5,
          sensitiveReadsNeedApproval: false,
          destructiveAutoRunConfirmed: false,
        }),
      ),
    );
    expect(await countRows(`SELECT count(*) FROM "PolicyRule"`)).toBe(0);
    expect(await countRows(`SELECT count(*) FROM "ToolPolicy"`)).toBe(0);
    expect(await admin.admin.settings.get()).toEqual(settingsBefore);
    expect(await version()).toBe(before);
  });

  it("the chain still verifies: nothing half-written got into it", async () => {
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });
});
