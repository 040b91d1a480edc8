import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetEnvForTests } from "../env";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { handleMetricsRequest } from "./metrics-endpoint";

const PROMTOOL = "/usr/bin/promtool";
const TOKEN = "metrics-token-0123456789abcdef";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.METRICS_TOKEN = TOKEN;
  resetEnvForTests();
});

afterAll(async () => {
  delete process.env.METRICS_TOKEN;
  resetEnvForTests();
  await database?.drop();
});

const noSession = async () => null;

function get(headers: Record<string, string> = {}): Request {
  return new Request("http://localhost/api/metrics", { headers });
}

describe("/api/metrics", () => {
  it("refuses anonymous callers, wrong tokens and signed-in non-admins", async () => {
    const anonymous = await handleMetricsRequest(get(), noSession);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await anonymous.text()).not.toContain("airlock_");

    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, TOKEN, "Bearer ", `Basic ${TOKEN}`]) {
      expect((await handleMetricsRequest(get({ authorization }), noSession)).status).toBe(401);
    }

    const user = await createTestUser("USER");
    const reviewer = await createTestUser("REVIEWER");
    for (const who of [user, reviewer]) {
      const response = await handleMetricsRequest(get(), async () => ({ userId: who.id, sessionVersion: 1 }));
      expect(response.status).toBe(403);
    }
    // A session whose version was revoked is no session.
    const admin = await createTestUser("ADMIN");
    expect((await handleMetricsRequest(get(), async () => ({ userId: admin.id, sessionVersion: 99 }))).status).toBe(
      401,
    );
  });

  it("serves the bearer token and admins; system gauges come from the database; labels are bounded", async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "hello"); // no worker here: it stays queued

    const admin = await createTestUser("ADMIN");
    const byAdmin = await handleMetricsRequest(get(), async () => ({ userId: admin.id, sessionVersion: 1 }));
    expect(byAdmin.status).toBe(200);
    const response = await handleMetricsRequest(get({ authorization: `Bearer ${TOKEN}` }), noSession);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();

    const [queued] = await database.query<{ count: string }>(`SELECT count(*) FROM "Run" WHERE "status" = 'QUEUED'`);
    expect(text).toContain(`airlock_run_queue_depth ${queued?.count}`);
    expect(text).toMatch(/airlock_runs\{status="QUEUED"\} [1-9]/);
    expect(text).toContain("airlock_approvals_pending 0");
    for (const name of [
      "airlock_run_attempts_total",
      "airlock_model_call_duration_seconds",
      "airlock_tool_calls_total",
      "airlock_approval_wait_seconds",
      "airlock_policy_decisions_total",
      "airlock_event_stream_subscribers",
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    for (const identifier of [runId, user.id, admin.id, conversation.id]) expect(text).not.toContain(identifier);
  });

  it.skipIf(!existsSync(PROMTOOL))("passes promtool check metrics", async () => {
    const response = await handleMetricsRequest(get({ authorization: `Bearer ${TOKEN}` }), noSession);
    const checked = spawnSync(PROMTOOL, ["check", "metrics"], { input: await response.text(), encoding: "utf8" });
    expect(checked.stderr + checked.stdout).toBe("");
    expect(checked.status).toBe(0);
  });
});
