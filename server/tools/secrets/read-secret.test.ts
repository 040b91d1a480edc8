/**
 * read_secret through the real engine (worker, demo model, database): the value is
 * released only after approval, and is then searched for everywhere it must not be —
 * every log line the process wrote, every audit event, the Secret row itself.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../../env";
import { createTestConversation, createTestUser, sendTestMessage, waitForRunStatus } from "../../testing/fixtures";
import { useIntegrationWorld } from "../../testing/integration";
import { preview, testToolContext } from "../testing/tool-harness";
import { createReadSecretTool } from "./read-secret";
import { deleteSecret, listSecrets, setSecret } from "./secret-store";

const key = randomBytes(32);
// Distinctive, so a match anywhere is this value and nothing else.
const VALUE = `sk_live_${randomBytes(12).toString("hex")}`;
const tool = createReadSecretTool({ key: () => key });

const written: string[] = [];
const originalStdout = process.stdout.write.bind(process.stdout);
const originalStderr = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  // Logs are silent in tests by default; this test needs every line there is.
  process.env.LOG_LEVEL = "debug";
  resetEnvForTests();
  // Kept, not forwarded: the lines are searched below, and would only clutter the test output.
  const capture = (chunk: unknown): boolean => {
    written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
});

afterAll(async () => {
  process.stdout.write = originalStdout;
  process.stderr.write = originalStderr;
  process.env.LOG_LEVEL = "silent";
  resetEnvForTests();
});

// Registered after the capture's hooks: the capture starts before the database and the worker.
const world = useIntegrationWorld({ tools: [tool] });

/** A reviewer approves through the approvals module, as the inbox would. */
async function approveAndResume(runId: string): Promise<void> {
  const reviewer = await createTestUser("REVIEWER");
  const [request] = await world.database.query<{ id: string }>(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [
    runId,
  ]);
  if (!request) throw new Error("no approval request was created");
  await world.approve(request.id, reviewer.id);
}

describe("read_secret through the engine", () => {
  let runId: string;
  let ownerId: string;

  it("stores only ciphertext, and audits the change without the value", async () => {
    const admin = await createTestUser("ADMIN");
    expect(await setSecret({ name: "PAYMENTS_API_KEY", value: VALUE, actorId: admin.id, key })).toEqual({
      created: true,
    });
    const [row] = await world.database.query<{ ciphertext: Buffer; iv: Buffer; authTag: Buffer }>(
      `SELECT ciphertext, iv, "authTag" FROM "Secret" WHERE name = 'PAYMENTS_API_KEY'`,
    );
    expect(row?.ciphertext.toString("utf8")).not.toContain(VALUE);
    expect(row?.ciphertext.length).toBe(Buffer.byteLength(VALUE));
    expect((await listSecrets()).map((secret) => secret.name)).toEqual(["PAYMENTS_API_KEY"]);
    expect(JSON.stringify(await listSecrets())).not.toContain(VALUE);
  });

  it("waits for approval, and its preview names the secret but not the value", async () => {
    const user = await createTestUser("USER");
    ownerId = user.id;
    const conversation = await createTestConversation(user.id);
    runId = await sendTestMessage(user.id, conversation.id, "please read the PAYMENTS_API_KEY secret");
    expect(await world.worker.waitForRun(runId)).toBe("AWAITING_APPROVAL");
    const [call] = await world.database.query<{ status: string; riskClass: string; result: unknown }>(
      `SELECT status, "riskClass", result FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    expect(call).toEqual({ status: "AWAITING_APPROVAL", riskClass: "SENSITIVE_READ", result: null });
    const requests = await world.database.query(`SELECT preview, args FROM "ApprovalRequest" WHERE "runId" = $1`, [
      runId,
    ]);
    expect(requests).toHaveLength(1);
    expect(JSON.stringify(requests)).not.toContain(VALUE);
    const shown = await preview(tool, { name: "PAYMENTS_API_KEY" });
    expect(shown.summary).toBe("Release the value of secret PAYMENTS_API_KEY to the agent");
    expect(JSON.stringify(shown)).not.toContain(VALUE);
  });

  it("releases the value to the requester once approved", async () => {
    await approveAndResume(runId);
    expect(await waitForRunStatus(runId)).toBe("COMPLETED");
    const [call] = await world.database.query<{ status: string; result: { value: string } }>(
      `SELECT status, result FROM "ToolCall" WHERE "runId" = $1`,
      [runId],
    );
    // The requester's own tool result holds it: that proves the searches below look for something real.
    expect(call).toMatchObject({ status: "SUCCEEDED", result: { name: "PAYMENTS_API_KEY", value: VALUE } });
    expect(ownerId).toBeDefined();
  });

  it("never writes the value to a log line", () => {
    const logs = written.join("");
    expect(logs).toContain("secret released");
    expect(logs).toContain('"name":"PAYMENTS_API_KEY"');
    expect(logs).not.toContain(VALUE);
  });

  it("never writes the value to the audit log", async () => {
    const events = await world.database.query<{ action: string; data: unknown; targetId: string | null }>(
      `SELECT action, data, "targetId" FROM "AuditEvent" ORDER BY id`,
    );
    expect(events.map((event) => event.action)).toContain("secret.created");
    expect(JSON.stringify(events)).not.toContain(VALUE);
  });

  // The event log hides the value both where the engine reports the result and where the
  // model repeats it in its text (the value reaches the model and the requester only).
  it("keeps the value out of run events that other users are shown", async () => {
    const events = await world.database.query<{ data: unknown }>(`SELECT data FROM "RunEvent" WHERE "runId" = $1`, [
      runId,
    ]);
    expect(JSON.stringify(events)).not.toContain(VALUE);
  });

  it("fails to open with another key, or under another name, without echoing anything", async () => {
    const wrongKey = createReadSecretTool({ key: () => randomBytes(32) });
    await expect(wrongKey.execute({ name: "PAYMENTS_API_KEY" }, testToolContext())).rejects.toThrow(
      /cannot be decrypted/,
    );
    // A ciphertext moved onto another name does not open: the name is authenticated data.
    await world.database.query(
      `INSERT INTO "Secret" (id, name, ciphertext, iv, "authTag", "updatedAt")
       SELECT 'moved', 'OTHER_NAME', ciphertext, iv, "authTag", now() FROM "Secret" WHERE name = 'PAYMENTS_API_KEY'`,
    );
    await expect(tool.execute({ name: "OTHER_NAME" }, testToolContext())).rejects.toThrow(/cannot be decrypted/);
    await expect(tool.execute({ name: "MISSING" }, testToolContext())).rejects.toThrow(/no secret named MISSING/);
    expect(await deleteSecret({ name: "OTHER_NAME", actorId: null })).toBe(true);
  });
});
