/**
 * Models configured in the console, against the real database and a local fake
 * OpenAI-compatible server: keys stored only encrypted and never returned, optimistic
 * conflicts, the registry merging console and environment, every instance following a
 * change, the default model, and "test connection" through the real provider path.
 */
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "../audit/record-audit-event";
import { resetEnvForTests } from "../env";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { errorCodeOf } from "../testing/errors";
import { type FakeOpenAIServer, startFakeOpenAIServer } from "../testing/fake-openai-server";
import { createTestUser } from "../testing/fixtures";
import {
  getModelSettings,
  refreshModelConfig,
  removeProviderConfig,
  saveProviderConfig,
  setDefaultModel,
  startModelConfigSync,
  testProviderConnection,
} from "./model-config";
import { defaultModelId, listModels } from "./registry";

const API_KEY = "sk-fake-0123456789-wxyz";

let database: TestDatabase;
let fake: FakeOpenAIServer;
let adminId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  fake = await startFakeOpenAIServer();
  process.env.SECRETS_KEY = randomBytes(32).toString("base64");
  delete process.env.OPENAI_COMPATIBLE_BASE_URL;
  delete process.env.OPENAI_API_KEY;
  resetEnvForTests();
  adminId = (await createTestUser("ADMIN")).id;
  await startModelConfigSync();
});

afterEach(() => fake.reset());

afterAll(async () => {
  await fake?.stop();
  await database?.drop();
});

async function versionOf(provider: string): Promise<number> {
  const [row] = await database.query<{ version: number }>(`SELECT version FROM "ProviderConfig" WHERE provider = $1`, [
    provider,
  ]);
  return row?.version ?? 0;
}

describe("model configuration", () => {
  it("stores a provider's key only as ciphertext, shows its last 4, and never returns or audits it", async () => {
    expect(listModels().map((model) => model.id)).toEqual(["demo"]);
    await saveProviderConfig({
      provider: "compatible",
      expectedVersion: 0,
      enabled: true,
      baseUrl: fake.baseUrl,
      apiKey: { action: "set", value: API_KEY },
      models: ["fake-model", " fake-model ", "second-model"],
      actorId: adminId,
    });
    const rows = await database.query<{ apiKeyCiphertext: Buffer; apiKeyLast4: string; models: string[] }>(
      `SELECT "apiKeyCiphertext", "apiKeyLast4", models FROM "ProviderConfig" WHERE provider = 'compatible'`,
    );
    expect(rows[0]?.apiKeyLast4).toBe("wxyz");
    expect(rows[0]?.models).toEqual(["fake-model", "second-model"]);
    expect(rows[0]?.apiKeyCiphertext.toString("utf8")).not.toContain(API_KEY);
    expect(rows[0]?.apiKeyCiphertext.toString("latin1")).not.toContain("0123456789");

    const settings = await getModelSettings();
    const compatible = settings.providers.find((provider) => provider.provider === "compatible");
    expect(compatible).toMatchObject({ source: "console", available: true, maskedKey: "••••wxyz", version: 1 });
    expect(JSON.stringify(settings)).not.toContain(API_KEY);

    const events = await database.query<{ action: string; data: unknown }>(
      `SELECT action, data FROM "AuditEvent" WHERE "targetType" = 'model-provider'`,
    );
    expect(events.map((event) => event.action)).toEqual(["model.provider-configured"]);
    expect(JSON.stringify(events)).not.toContain(API_KEY);
    expect(JSON.stringify(events)).toContain("wxyz");

    // The registry offers the console's models at once.
    expect(listModels().map((model) => model.id)).toEqual(["compatible:fake-model", "compatible:second-model", "demo"]);
  });

  it("a stale edit is a conflict; the newer edit stays", async () => {
    const seen = await versionOf("compatible");
    const edit = (models: string[]) =>
      saveProviderConfig({
        provider: "compatible",
        expectedVersion: seen,
        enabled: true,
        baseUrl: fake.baseUrl,
        apiKey: { action: "keep" },
        models,
        actorId: adminId,
      });
    await edit(["fake-model"]);
    expect(await errorCodeOf(edit(["other-model"]))).toBe("admin:conflict");
    // Creating what another admin created first is a conflict too.
    expect(
      await errorCodeOf(
        saveProviderConfig({
          provider: "compatible",
          expectedVersion: 0,
          enabled: true,
          baseUrl: fake.baseUrl,
          apiKey: { action: "keep" },
          models: [],
          actorId: adminId,
        }),
      ),
    ).toBe("admin:conflict");
    expect(listModels().map((model) => model.id)).toEqual(["compatible:fake-model", "demo"]);
    // "keep" kept the key.
    const [row] = await database.query<{ apiKeyLast4: string }>(
      `SELECT "apiKeyLast4" FROM "ProviderConfig" WHERE provider = 'compatible'`,
    );
    expect(row?.apiKeyLast4).toBe("wxyz");
  });

  it("test connection makes one tiny real request and reports success or the provider's error", async () => {
    fake.enqueue({ type: "stream", text: ["ok"] });
    const ok = await testProviderConnection({ provider: "compatible" });
    expect(ok).toMatchObject({ ok: true, modelId: "compatible:fake-model" });
    expect(ok.message).toMatch(/answered in \d+ ms/);
    expect(fake.requests).toHaveLength(1);
    const request = fake.requests[0];
    expect(request?.model).toBe("fake-model");
    expect(request?.max_tokens ?? request?.max_completion_tokens).toBe(1);

    fake.enqueue({ type: "error", status: 401, body: { error: { message: `invalid api key ${API_KEY}` } } });
    const refused = await testProviderConnection({ provider: "compatible" });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain("401");
    expect(refused.message).not.toContain(API_KEY);
    // One request per test: no retries behind the admin's back.
    expect(fake.requests).toHaveLength(2);

    await saveProviderConfig({
      provider: "openai",
      expectedVersion: 0,
      enabled: true,
      baseUrl: "http://127.0.0.1:9/v1",
      apiKey: { action: "set", value: "sk-unreachable-key" },
      models: ["gpt-test"],
      actorId: adminId,
    });
    const unreachable = await testProviderConnection({ provider: "openai" });
    expect(unreachable.ok).toBe(false);
    expect(unreachable.message.length).toBeGreaterThan(0);

    const anthropic = await testProviderConnection({ provider: "anthropic" });
    expect(anthropic).toMatchObject({ ok: false });
    expect(anthropic.message).toContain("not usable");
  });

  it("the default model is optimistic, must be offered, and the registry follows it", async () => {
    const [settings] = await database.query<{ version: number }>(`SELECT version FROM "AppSettings" WHERE id = 1`);
    const seen = settings?.version ?? 0;
    expect(
      await errorCodeOf(setDefaultModel({ modelId: "compatible:nope", expectedVersion: seen, actorId: adminId })),
    ).toBe("admin:invalid");
    await setDefaultModel({ modelId: "compatible:fake-model", expectedVersion: seen, actorId: adminId });
    expect(defaultModelId()).toBe("compatible:fake-model");
    expect(await errorCodeOf(setDefaultModel({ modelId: "demo", expectedVersion: seen, actorId: adminId }))).toBe(
      "admin:conflict",
    );
    expect(defaultModelId()).toBe("compatible:fake-model");
  });

  it("reloads in quick succession end on the newest rows: an older reload never installs after a newer one", async () => {
    const compatibleListed = () => listModels().some((model) => model.id === "compatible:fake-model");
    for (let round = 0; round < 20; round++) {
      const enabled = round % 2 === 0;
      // One reload reads the rows; meanwhile they change and a second reload follows.
      const older = refreshModelConfig();
      await database.query(
        `UPDATE "ProviderConfig" SET enabled = $1, version = version + 1, "updatedAt" = now() WHERE provider = 'compatible'`,
        [enabled],
      );
      const newer = refreshModelConfig();
      await Promise.all([older, newer]);
      expect(compatibleListed()).toBe(enabled);
    }
    await database.query(
      `UPDATE "ProviderConfig" SET enabled = true, version = version + 1, "updatedAt" = now() WHERE provider = 'compatible'`,
    );
    await refreshModelConfig();
  });

  it("a change written elsewhere reaches this process through NOTIFY, without a restart", async () => {
    // Another instance turns the provider off: only the row and the notification arrive here.
    await database.query(
      `UPDATE "ProviderConfig" SET enabled = false, version = version + 1, "updatedAt" = now() WHERE provider = 'compatible'`,
    );
    await database.query(`SELECT pg_notify('airlock_models', 'changed')`);
    await expect
      .poll(() => listModels().map((model) => model.id), { timeout: 5_000 })
      .not.toContain("compatible:fake-model");
    // The default falls back when its provider is off.
    expect(defaultModelId()).toBe("openai:gpt-test");
  });

  it("saving a key without SECRETS_KEY is a clear error; removing the console's settings falls back to the environment", async () => {
    const key = process.env.SECRETS_KEY;
    delete process.env.SECRETS_KEY;
    resetEnvForTests();
    try {
      expect(
        await errorCodeOf(
          saveProviderConfig({
            provider: "anthropic",
            expectedVersion: 0,
            enabled: true,
            baseUrl: null,
            apiKey: { action: "set", value: "sk-ant-0000000000" },
            models: [],
            actorId: adminId,
          }),
        ),
      ).toBe("admin:secrets-key-missing");
    } finally {
      process.env.SECRETS_KEY = key;
      resetEnvForTests();
    }
    process.env.OPENAI_API_KEY = "sk-from-the-environment";
    resetEnvForTests();
    try {
      await removeProviderConfig({ provider: "openai", expectedVersion: await versionOf("openai"), actorId: adminId });
      const openai = (await getModelSettings()).providers.find((provider) => provider.provider === "openai");
      expect(openai).toMatchObject({ source: "environment", keySource: "environment", maskedKey: "••••ment" });
      expect(listModels().map((model) => model.id)).toContain("openai:gpt-4.1");
    } finally {
      delete process.env.OPENAI_API_KEY;
      resetEnvForTests();
    }
  });

  it("every change above is in an intact audit chain", async () => {
    const actions = await database.query<{ action: string }>(
      `SELECT action FROM "AuditEvent" WHERE action LIKE 'model.%' ORDER BY id`,
    );
    expect(actions.map((row) => row.action)).toEqual([
      "model.provider-configured",
      "model.provider-changed",
      "model.provider-configured",
      "model.default-changed",
      "model.provider-removed",
    ]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });
});
