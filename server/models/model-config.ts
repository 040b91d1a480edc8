/**
 * Models as admins configure them: per-provider settings (base URL, models, an API key
 * stored only as AES-256-GCM ciphertext and shown as its last four characters), the
 * default model, and a "test connection" that makes one tiny real request.
 *
 * The registry (registry.ts) stays synchronous for the engine; this module keeps its
 * snapshot of the console's rows current: loaded at start, reloaded on every instance
 * through NOTIFY when a row changes, and re-checked by fingerprint before admin and
 * model-list reads (so a missed notification heals itself).
 */
import { APICallError, generateText } from "ai";
import { recordAuditEvent } from "../audit/record-audit-event";
import { openSecret, sealSecret } from "../crypto/secret-box";
import { secretsKeyForAdminChange, secretsKeyFromEnv } from "../crypto/secrets-key";
import {
  deleteProviderConfig,
  findProviderSummary,
  type KeyChange,
  listProviderSummaries,
  listProvidersWithKeys,
  MODEL_CONFIG_CHANNEL,
  notifyModelConfigChanged,
  readAppSettings,
  readModelConfigFingerprint,
  writeDefaultModel,
  writeProviderConfig,
} from "../db/model-config";
import { listen, onReconnect, serialReload } from "../db/notifications";
import { inTransaction } from "../db/transaction";
import { env } from "../env";
import { AirlockError } from "../errors";
import { logger } from "../telemetry/logger";
import {
  CONFIGURABLE_PROVIDERS,
  type ConfigurableProvider,
  createProviderModel,
  defaultModelId,
  installedModelConfigFingerprint,
  installStoredModelConfig,
  listModels,
  onStoredModelConfigRead,
  PROVIDER_LABEL,
  providerSettings,
  type StoredModelConfig,
} from "./registry";

/** The associated data of a provider's sealed key: a ciphertext moved to another provider fails to open. */
function keyLabel(provider: ConfigurableProvider): string {
  return `provider:${provider}`;
}

function isConfigurable(provider: string): provider is ConfigurableProvider {
  return (CONFIGURABLE_PROVIDERS as readonly string[]).includes(provider);
}

// ——— Keeping this process's snapshot current ———

async function loadStoredModelConfig(): Promise<StoredModelConfig> {
  const [rows, settings] = await Promise.all([listProvidersWithKeys(), readAppSettings()]);
  const providers: StoredModelConfig["providers"] = [];
  for (const row of rows) {
    if (!isConfigurable(row.provider)) continue;
    let apiKey: string | undefined;
    if (row.sealedKey) {
      try {
        apiKey = openSecret(secretsKeyFromEnv(), keyLabel(row.provider), row.sealedKey);
      } catch (error) {
        // The provider stays listed but has no key: its calls fail with a clear error instead of leaking why.
        logger.warn("a stored provider key cannot be opened", {
          provider: row.provider,
          error: (error as Error).message,
        });
      }
    }
    providers.push({
      provider: row.provider,
      enabled: row.enabled,
      baseUrl: row.baseUrl,
      ...(apiKey ? { apiKey } : {}),
      models: row.models,
    });
  }
  return { providers, defaultModelId: settings.defaultModelId };
}

// A slow reload that read the rows before a change must not install them after a quicker
// reload that read the change (two NOTIFYs in a row): serialReload orders them.
const storedModelConfig = serialReload(
  async () => {
    const fingerprint = await readModelConfigFingerprint();
    return { config: await loadStoredModelConfig(), fingerprint };
  },
  ({ config, fingerprint }) => installStoredModelConfig(config, fingerprint),
);

export function refreshModelConfig(): Promise<void> {
  return storedModelConfig.reload();
}

/** Reloads if any row changed since this process last loaded them (one small query). */
export async function ensureFreshModelConfig(): Promise<void> {
  if ((await readModelConfigFingerprint()) !== installedModelConfigFingerprint()) await storedModelConfig.reload();
}

const STALE_AFTER_MS = 30_000;
const globalForSync = globalThis as unknown as { airlockModelConfigSync?: Promise<void> };

/** Once per process (app instance or worker): load now, then follow every change. */
export function startModelConfigSync(): Promise<void> {
  globalForSync.airlockModelConfigSync ??= (async () => {
    await refreshModelConfig();
    const reload = () =>
      void refreshModelConfig().catch((error) =>
        logger.warn("reloading the model configuration failed", { error: (error as Error).message }),
      );
    await listen(MODEL_CONFIG_CHANNEL, reload);
    onReconnect(reload);
    let refreshing = false;
    onStoredModelConfigRead((loadedAt) => {
      if (refreshing || Date.now() - loadedAt < STALE_AFTER_MS) return;
      refreshing = true;
      void ensureFreshModelConfig()
        .catch((error) => logger.warn("model configuration check failed", { error: (error as Error).message }))
        .finally(() => {
          refreshing = false;
        });
    });
  })().catch((error) => {
    globalForSync.airlockModelConfigSync = undefined;
    throw error;
  });
  return globalForSync.airlockModelConfigSync;
}

// ——— What the console shows ———

/** Only ever the last four characters, and only of keys long enough to keep the rest secret. */
export function maskKey(last4: string): string {
  return `••••${last4}`;
}

function lastFour(value: string): string {
  return value.length >= 8 ? value.slice(-4) : "";
}

export async function getModelSettings() {
  await ensureFreshModelConfig();
  const [rows, settings] = await Promise.all([listProviderSummaries(), readAppSettings()]);
  const config = env();
  const providers = CONFIGURABLE_PROVIDERS.map((provider) => {
    const row = rows.find((candidate) => candidate.provider === provider);
    const effective = providerSettings(provider);
    const storedKey = row?.apiKeyLast4 ?? null;
    return {
      provider,
      label: PROVIDER_LABEL[provider],
      source: effective.source,
      enabled: effective.enabled,
      available: effective.available,
      unavailableReason: effective.unavailableReason ?? null,
      baseUrl: row?.baseUrl ?? null,
      effectiveBaseUrl: effective.baseUrl ?? null,
      // A key from the environment is masked the same way; its characters never leave the server either.
      maskedKey:
        storedKey !== null ? maskKey(storedKey) : effective.apiKey ? maskKey(lastFour(effective.apiKey)) : null,
      keySource: storedKey !== null ? ("console" as const) : effective.apiKey ? ("environment" as const) : null,
      models: row?.models ?? [],
      effectiveModels: effective.models,
      version: row?.version ?? 0,
      updatedAt: row?.updatedAt ?? null,
    };
  });
  let effectiveDefault: string;
  let defaultError: string | null = null;
  try {
    effectiveDefault = defaultModelId();
  } catch (error) {
    effectiveDefault = "demo";
    defaultError = (error as Error).message;
  }
  return {
    providers,
    models: listModels().map(({ id, label, provider, isDemo }) => ({ id, label, provider, isDemo })),
    defaultModel: {
      configured: settings.defaultModelId,
      effective: effectiveDefault,
      environment: config.DEFAULT_MODEL ?? null,
      version: settings.version,
      error: defaultError,
    },
    secretsKeyConfigured: Boolean(config.SECRETS_KEY),
  };
}

// ——— Changes ———

function conflict(what: string): never {
  throw new AirlockError(
    "admin:conflict",
    `${what} changed since you opened it (someone else saved first). Reload to see their change, then try again.`,
  );
}

export type ApiKeyChange = { action: "keep" } | { action: "clear" } | { action: "set"; value: string };

function sealKey(provider: ConfigurableProvider, value: string): KeyChange {
  const key = secretsKeyForAdminChange();
  return { kind: "set", sealed: sealSecret(key, keyLabel(provider), value), last4: lastFour(value) };
}

export async function saveProviderConfig(options: {
  provider: ConfigurableProvider;
  expectedVersion: number;
  enabled: boolean;
  baseUrl: string | null;
  apiKey: ApiKeyChange;
  models: string[];
  actorId: string;
}) {
  const { provider } = options;
  const key: KeyChange =
    options.apiKey.action === "set"
      ? sealKey(provider, options.apiKey.value)
      : options.apiKey.action === "clear"
        ? { kind: "clear" }
        : { kind: "keep" };
  const models = [...new Set(options.models.map((name) => name.trim()).filter(Boolean))];
  await inTransaction(async (tx) => {
    const before = await findProviderSummary(provider, tx);
    const written = await writeProviderConfig(tx, {
      provider,
      expectedVersion: options.expectedVersion,
      enabled: options.enabled,
      baseUrl: options.baseUrl,
      models,
      key,
      updatedBy: options.actorId,
    });
    if (!written) conflict(`The ${PROVIDER_LABEL[provider]} settings`);
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: before ? "model.provider-changed" : "model.provider-configured",
      targetType: "model-provider",
      targetId: provider,
      data: {
        before: before
          ? { enabled: before.enabled, baseUrl: before.baseUrl, models: before.models, keyEndsWith: before.apiKeyLast4 }
          : null,
        after: {
          enabled: options.enabled,
          baseUrl: options.baseUrl,
          models,
          keyEndsWith: key.kind === "set" ? key.last4 : key.kind === "clear" ? null : (before?.apiKeyLast4 ?? null),
        },
        keyChange: key.kind,
      },
    });
    await notifyModelConfigChanged(tx);
  });
  await refreshModelConfig();
}

/** Forgets the console's settings for a provider: the environment's apply again. */
export async function removeProviderConfig(options: {
  provider: ConfigurableProvider;
  expectedVersion: number;
  actorId: string;
}) {
  await inTransaction(async (tx) => {
    const before = await findProviderSummary(options.provider, tx);
    if (!before) throw new AirlockError("admin:not-found", "The console has no settings for this provider.");
    if (!(await deleteProviderConfig(tx, options.provider, options.expectedVersion))) {
      conflict(`The ${PROVIDER_LABEL[options.provider]} settings`);
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "model.provider-removed",
      targetType: "model-provider",
      targetId: options.provider,
      data: { before: { enabled: before.enabled, baseUrl: before.baseUrl, models: before.models } },
    });
    await notifyModelConfigChanged(tx);
  });
  await refreshModelConfig();
}

/** null: no console default (DEFAULT_MODEL or the first model applies). */
export async function setDefaultModel(options: { modelId: string | null; expectedVersion: number; actorId: string }) {
  await ensureFreshModelConfig();
  if (options.modelId !== null && !listModels().some((model) => model.id === options.modelId)) {
    throw new AirlockError("admin:invalid", `The model "${options.modelId}" is not offered by any enabled provider.`);
  }
  await inTransaction(async (tx) => {
    const before = await readAppSettings(tx);
    if (
      !(await writeDefaultModel(tx, {
        defaultModelId: options.modelId,
        expectedVersion: options.expectedVersion,
        updatedBy: options.actorId,
      }))
    ) {
      conflict("The default model");
    }
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: "model.default-changed",
      targetType: "settings",
      targetId: "defaultModelId",
      data: { before: before.defaultModelId, after: options.modelId },
    });
    await notifyModelConfigChanged(tx);
  });
  await refreshModelConfig();
}

// ——— Test connection ———

export const CONNECTION_TEST_TIMEOUT_MS = 10_000;

export interface ConnectionTestResult {
  ok: boolean;
  modelId: string | null;
  latencyMs: number;
  message: string;
}

function describeFailure(error: unknown, secrets: string[]): string {
  let message: string;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    message = `No answer within ${CONNECTION_TEST_TIMEOUT_MS / 1000} s.`;
  } else if (APICallError.isInstance(error)) {
    const status = error.statusCode ? `HTTP ${error.statusCode}: ` : "";
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    message = `${status}${error.message}${cause}`;
  } else if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    message = `${error.message}${cause}`;
  } else {
    message = String(error);
  }
  // A provider may echo the key it was sent; it never goes further than this process.
  for (const secret of secrets) if (secret.length >= 4) message = message.split(secret).join("••••");
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

/** One real request with a one-token answer: proves the URL, the key and the model name. */
export async function testProviderConnection(options: {
  provider: ConfigurableProvider;
  modelName?: string;
}): Promise<ConnectionTestResult> {
  await ensureFreshModelConfig();
  const settings = providerSettings(options.provider);
  const name = options.modelName ?? settings.models[0];
  const modelId = name ? `${options.provider}:${name}` : null;
  if (!settings.available || !name) {
    return {
      ok: false,
      modelId,
      latencyMs: 0,
      message: `${PROVIDER_LABEL[options.provider]} is not usable: ${settings.unavailableReason ?? "no model configured"}.`,
    };
  }
  const started = Date.now();
  try {
    await generateText({
      model: createProviderModel(settings, name),
      prompt: "Reply with the single word: ok",
      maxOutputTokens: 1,
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS),
    });
    const latencyMs = Date.now() - started;
    return { ok: true, modelId, latencyMs, message: `${modelId} answered in ${latencyMs} ms.` };
  } catch (error) {
    return {
      ok: false,
      modelId,
      latencyMs: Date.now() - started,
      message: describeFailure(error, settings.apiKey ? [settings.apiKey] : []),
    };
  }
}
