/**
 * Network access for the shell reaches the sandbox only through policy: a run's shell
 * call to an HTTP server on 127.0.0.1 (started here) connects only when an admin's rule
 * grants network to that command and was saved with the typed confirmation. The real
 * engine, the real admin service, the real run_shell tool in its bubblewrap sandbox.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decideApproval } from "../approvals/decide-approval";
import { createRule, removeRule } from "../approvals/policy-admin";
import { createDemoModel } from "../models/demo-model";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  type TestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { createRunShellTool } from "../tools/shell/run-shell";

let database: TestDatabase;
let root: string;
let server: http.Server;
let port: number;
let worker: TestWorker;
const requests: string[] = [];
let deps: ReturnType<typeof testEngineDependencies>;

beforeAll(async () => {
  database = await createTestDatabase();
  root = await mkdtemp(path.join(os.tmpdir(), "airlock-shell-network-"));
  server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    response.end("hello from 127.0.0.1\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
  deps = testEngineDependencies({
    model: createDemoModel({ tokenDelayMs: 0 }),
    tools: [createRunShellTool({ root, timeoutMs: 10_000 })],
  });
  worker = await startTestWorker(deps);
});

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await database?.drop();
  if (root) await rm(root, { recursive: true, force: true });
});

interface ShellResult {
  exitCode: number | null;
  stdout: string;
}

/** Runs `command` through a conversation, approving it if policy asks, and returns the call's result. */
async function runThroughEngine(command: string): Promise<{ result: ShellResult; reviewed: boolean }> {
  const user = await createTestUser();
  const conversation = await createTestConversation(user.id);
  const runId = await sendTestMessage(user.id, conversation.id, `run \`${command}\``);
  const status = await waitForRunStatus(runId, ["AWAITING_APPROVAL", "COMPLETED", "FAILED"]);
  const reviewed = status === "AWAITING_APPROVAL";
  if (reviewed) {
    const [request] = await database.query<{ id: string }>(
      `SELECT id FROM "ApprovalRequest" WHERE "runId" = $1 AND status = 'PENDING'`,
      [runId],
    );
    if (!request) throw new Error("no pending approval request");
    await decideApproval({
      requestId: request.id,
      reviewerId: (await createTestUser("REVIEWER")).id,
      decision: { verdict: "approve" },
      tools: deps.tools,
    });
  }
  expect(await waitForRunStatus(runId, ["COMPLETED", "FAILED"])).toBe("COMPLETED");
  const [call] = await database.query<{ status: string; result: ShellResult }>(
    `SELECT status, result FROM "ToolCall" WHERE "runId" = $1`,
    [runId],
  );
  expect(call?.status).toBe("SUCCEEDED");
  return { result: call?.result as ShellResult, reviewed };
}

const curl = (tag: string) => `curl -sS --max-time 5 http://127.0.0.1:${port}/${tag}`;

describe("network for run_shell, granted by policy", () => {
  it("is off without a rule, off with an unconfirmed rule, and on only for the commands a confirmed rule names", {
    timeout: 120_000,
  }, async () => {
    const admin = await createTestUser("ADMIN");

    // No rule: an approved command still has no network.
    const plain = await runThroughEngine(curl("no-rule"));
    expect(plain.reviewed).toBe(true);
    expect(plain.result.exitCode).not.toBe(0);
    expect(requests).toEqual([]);

    // A rule row that grants network without the admin service's confirmation grants nothing.
    await database.query(
      `INSERT INTO "PolicyRule" (id, "toolName", description, conditions, effect, position)
       VALUES ('unconfirmed', 'run_shell', 'written straight into the table',
               '[{"path":"facts.command","operator":"equals","value":"curl"}]', '{"network":true}', 1)`,
    );
    await database.query(`UPDATE "PolicyState" SET version = version + 1 WHERE id = 1`);
    const unconfirmed = await runThroughEngine(curl("unconfirmed"));
    expect(unconfirmed.result.exitCode).not.toBe(0);
    expect(requests).toEqual([]);
    await database.query(`DELETE FROM "PolicyRule" WHERE id = 'unconfirmed'`);
    await database.query(`UPDATE "PolicyState" SET version = version + 1 WHERE id = 1`);

    // Confirmed through the admin service: curl, reviewed as before, now reaches the server.
    await createRule({
      tools: deps.tools,
      rule: {
        toolName: "run_shell",
        description: "curl may reach the network",
        conditions: [{ path: "facts.command", operator: "equals", value: "curl" }],
        effect: { network: true },
        enabled: true,
      },
      confirmation: "run_shell",
      actorId: admin.id,
    });
    const granted = await runThroughEngine(curl("granted"));
    expect(granted.reviewed).toBe(true);
    expect(granted.result.stdout).toBe("hello from 127.0.0.1\n");
    expect(requests).toEqual(["/granted"]);

    // A command the rule does not name has none, even approved.
    const other = await runThroughEngine(`wget -q -O- http://127.0.0.1:${port}/other`);
    expect(other.result.exitCode).not.toBe(0);
    const raw = await runThroughEngine(`bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port}'`);
    expect(raw.result.exitCode).not.toBe(0);
    expect(requests).toEqual(["/granted"]);
  });

  it("reaches the engine's fast path too: a confirmed READ + network rule runs curl at once, with network", {
    timeout: 60_000,
  }, async () => {
    const admin = await createTestUser("ADMIN");
    await createRule({
      tools: deps.tools,
      rule: {
        toolName: "run_shell",
        description: "curl to the local server runs by itself",
        conditions: [
          { path: "facts.command", operator: "equals", value: "curl" },
          { path: "args.command", operator: "regex", value: "/fast$" },
        ],
        // curl is DESTRUCTIVE by its class; ALLOW alone would still need destructive auto-run.
        effect: { riskClass: "READ", network: true },
        enabled: true,
      },
      confirmation: "run_shell",
      actorId: admin.id,
    });
    const fast = await runThroughEngine(curl("fast"));
    expect(fast.reviewed).toBe(false);
    expect(fast.result.stdout).toBe("hello from 127.0.0.1\n");
    expect(requests.at(-1)).toBe("/fast");
  });

  it("is part of what the reviewer approves: the preview says so, and removing the rule voids the approval", {
    timeout: 60_000,
  }, async () => {
    const admin = await createTestUser("ADMIN");
    // Clear the rules of the earlier tests: only this one grants network now.
    for (const row of await database.query<{ id: string; version: number }>(`SELECT id, version FROM "PolicyRule"`)) {
      await removeRule({ id: row.id, expectedVersion: row.version, actorId: admin.id });
    }
    const rule = await createRule({
      tools: deps.tools,
      rule: {
        toolName: "run_shell",
        description: "curl may reach the network",
        conditions: [{ path: "facts.command", operator: "equals", value: "curl" }],
        effect: { network: true },
        enabled: true,
      },
      confirmation: "run_shell",
      actorId: admin.id,
    });
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, `run \`${curl("voided")}\``);
    await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
    const [request] = await database.query<{ id: string; preview: { detail: string }; reasons: string[] }>(
      `SELECT id, preview, reasons FROM "ApprovalRequest" WHERE "runId" = $1 AND status = 'PENDING'`,
      [runId],
    );
    expect(request?.preview.detail).toContain("network: allowed by rule");
    expect(request?.preview.detail).toContain("--share-net");
    expect(request?.reasons).toContain('rule "curl may reach the network" allows network access');

    await removeRule({ id: rule.id, expectedVersion: rule.version, actorId: admin.id });
    await expect(
      decideApproval({
        requestId: request?.id as string,
        reviewerId: (await createTestUser("REVIEWER")).id,
        decision: { verdict: "approve" },
        tools: deps.tools,
      }),
    ).rejects.toThrow(/the policy changed/);
    const [after] = await database.query<{ status: string }>(`SELECT status FROM "ApprovalRequest" WHERE id = $1`, [
      request?.id,
    ]);
    expect(after?.status).toBe("VOIDED");
    expect(requests).not.toContain("/voided");
  });
});
