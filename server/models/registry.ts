/**
 * Every model Airlock can talk to, behind the AI SDK's language-model interface.
 * Which providers exist is configuration: keys and base URLs in the environment, merged
 * with what admins configured in the console (server/models/model-config.ts keeps a
 * snapshot of those rows in this process, reloaded on every instance when they change).
 * The engine only ever asks for `resolveModel(id)`. Model ids are `<provider>:<name>`,
 * plus `demo` for the built-in offline model.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { type Env, env } from "../env";
import { AirlockError } from "../errors";
import { MODEL_PROVIDERS, type ModelProvider } from "../shared/model-schemas";
import { createDemoModel, DEMO_MODEL_ID } from "./demo-model";
import { createGatewayModel, GATEWAY_MODEL_ID } from "./gateway-model";

export const CONFIGURABLE_PROVIDERS = MODEL_PROVIDERS;
export type ConfigurableProvider = ModelProvider;
export type ProviderId = "demo" | "gateway" | ConfigurableProvider;

export interface ModelDescriptor {
  id: string;
  provider: ProviderId;
  name: string;
  label: string;
  isDemo: boolean;
}

/** A provider as an admin configured it in the console; the key is already decrypted. */
export interface StoredProviderConfig {
  provider: ConfigurableProvider;
  enabled: boolean;
  baseUrl: string | null;
  apiKey?: string;
  models: string[];
}

export interface StoredModelConfig {
  providers: StoredProviderConfig[];
  defaultModelId: string | null;
}

/** A provider as it is in force: the console's settings over the environment's. */
export interface ProviderSettings {
  provider: ConfigurableProvider;
  source: "environment" | "console" | "none";
  enabled: boolean;
  available: boolean;
  /** Why it offers no models, when it does not. */
  unavailableReason?: string;
  baseUrl?: string;
  apiKey?: string;
  models: string[];
}

const DEFAULT_MODELS: Record<ConfigurableProvider, string[]> = {
  openai: ["gpt-4.1", "gpt-4.1-mini"],
  anthropic: ["claude-sonnet-4-5", "claude-haiku-4-5"],
  compatible: ["default"],
};

export const PROVIDER_LABEL: Record<ProviderId, string> = {
  demo: "Demo",
  gateway: "MCP gateway",
  openai: "OpenAI",
  anthropic: "Anthropic",
  compatible: "OpenAI-compatible",
};

// ——— The console's configuration in this process (shared across Next's bundles) ———

const EMPTY_STORED: StoredModelConfig = { providers: [], defaultModelId: null };

const globalForModels = globalThis as unknown as {
  airlockModelConfig?: { config: StoredModelConfig; fingerprint: string; loadedAt: number };
  airlockModelConfigOnRead?: (loadedAt: number) => void;
};

export function installStoredModelConfig(config: StoredModelConfig, fingerprint: string): void {
  globalForModels.airlockModelConfig = { config, fingerprint, loadedAt: Date.now() };
}

export function installedModelConfigFingerprint(): string | undefined {
  return globalForModels.airlockModelConfig?.fingerprint;
}

/** Lets model-config refresh a snapshot that has grown old, without making reads async. */
export function onStoredModelConfigRead(hook: ((loadedAt: number) => void) | undefined): void {
  globalForModels.airlockModelConfigOnRead = hook;
}

export function storedModelConfig(): StoredModelConfig {
  const installed = globalForModels.airlockModelConfig;
  if (installed) globalForModels.airlockModelConfigOnRead?.(installed.loadedAt);
  return installed?.config ?? EMPTY_STORED;
}

// ——— Merging environment and console ———

function fromEnvironment(provider: ConfigurableProvider, config: Env) {
  switch (provider) {
    case "openai":
      return {
        configured: Boolean(config.OPENAI_API_KEY),
        apiKey: config.OPENAI_API_KEY,
        baseUrl: config.OPENAI_BASE_URL,
        models: DEFAULT_MODELS.openai,
      };
    case "anthropic":
      return {
        configured: Boolean(config.ANTHROPIC_API_KEY),
        apiKey: config.ANTHROPIC_API_KEY,
        baseUrl: config.ANTHROPIC_BASE_URL,
        models: DEFAULT_MODELS.anthropic,
      };
    case "compatible": {
      const names = (config.OPENAI_COMPATIBLE_MODELS ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean);
      return {
        configured: Boolean(config.OPENAI_COMPATIBLE_BASE_URL),
        apiKey: config.OPENAI_COMPATIBLE_API_KEY,
        baseUrl: config.OPENAI_COMPATIBLE_BASE_URL,
        models: names.length > 0 ? names : DEFAULT_MODELS.compatible,
      };
    }
  }
}

export function providerSettings(
  provider: ConfigurableProvider,
  config: Env = env(),
  stored: StoredModelConfig = storedModelConfig(),
): ProviderSettings {
  const environment = fromEnvironment(provider, config);
  const row = stored.providers.find((candidate) => candidate.provider === provider);
  const enabled = row ? row.enabled : environment.configured;
  const apiKey = row?.apiKey ?? environment.apiKey;
  const baseUrl = row?.baseUrl ?? environment.baseUrl;
  const models = row && row.models.length > 0 ? row.models : environment.models;
  const missing = provider === "compatible" ? (baseUrl ? undefined : "no base URL") : apiKey ? undefined : "no API key";
  const unavailableReason = !enabled ? (row ? "turned off in the console" : "not configured") : missing;
  return {
    provider,
    source: row ? "console" : environment.configured ? "environment" : "none",
    enabled,
    available: enabled && !missing,
    ...(unavailableReason ? { unavailableReason } : {}),
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiKey ? { apiKey } : {}),
    models,
  };
}

function describe(provider: ProviderId, name: string): ModelDescriptor {
  return { id: `${provider}:${name}`, provider, name, label: `${name} (${PROVIDER_LABEL[provider]})`, isDemo: false };
}

const DEMO: ModelDescriptor = {
  id: DEMO_MODEL_ID,
  provider: "demo",
  name: DEMO_MODEL_ID,
  label: "Demo model (offline)",
  isDemo: true,
};

const GATEWAY: ModelDescriptor = {
  id: GATEWAY_MODEL_ID,
  provider: "gateway",
  name: GATEWAY_MODEL_ID,
  label: "MCP gateway (calls from outside agents)",
  isDemo: false,
};

export function listModels(config: Env = env(), stored: StoredModelConfig = storedModelConfig()): ModelDescriptor[] {
  const models: ModelDescriptor[] = [];
  for (const provider of CONFIGURABLE_PROVIDERS) {
    const settings = providerSettings(provider, config, stored);
    if (settings.available) models.push(...settings.models.map((name) => describe(provider, name)));
  }
  models.push(DEMO);
  return models;
}

/** The console's default if it is still offered, else DEFAULT_MODEL, else the first model. */
export function defaultModelId(config: Env = env(), stored: StoredModelConfig = storedModelConfig()): string {
  const models = listModels(config, stored);
  if (stored.defaultModelId && models.some((model) => model.id === stored.defaultModelId)) {
    return stored.defaultModelId;
  }
  if (config.DEFAULT_MODEL) {
    if (!models.some((model) => model.id === config.DEFAULT_MODEL)) {
      throw new AirlockError(
        "model:unknown",
        `DEFAULT_MODEL "${config.DEFAULT_MODEL}" is not one of the configured models: ${models.map((model) => model.id).join(", ")}`,
      );
    }
    return config.DEFAULT_MODEL;
  }
  return models[0]?.id ?? DEMO_MODEL_ID;
}

export function findModel(
  modelId: string,
  config: Env = env(),
  stored: StoredModelConfig = storedModelConfig(),
): ModelDescriptor {
  // The MCP gateway's runs have their own model; it is not offered for chats.
  if (modelId === GATEWAY_MODEL_ID) return GATEWAY;
  const model = listModels(config, stored).find((candidate) => candidate.id === modelId);
  if (!model) {
    throw new AirlockError("model:unknown", `The model "${modelId}" is not configured on this server.`);
  }
  return model;
}

/** A provider's model from explicit settings: what resolveModel and "test connection" use. */
export function createProviderModel(settings: ProviderSettings, name: string): LanguageModelV4 {
  switch (settings.provider) {
    case "openai":
      // Chat Completions, the API every OpenAI-compatible server also speaks.
      return createOpenAI({ apiKey: settings.apiKey, baseURL: settings.baseUrl }).chat(name);
    case "anthropic":
      return createAnthropic({ apiKey: settings.apiKey, baseURL: settings.baseUrl })(name);
    case "compatible":
      return createOpenAICompatible({
        name: "compatible",
        baseURL: settings.baseUrl ?? "",
        apiKey: settings.apiKey,
        includeUsage: true,
      }).chatModel(name);
  }
}

export function resolveModel(
  modelId: string,
  config: Env = env(),
  stored: StoredModelConfig = storedModelConfig(),
): LanguageModelV4 {
  const model = findModel(modelId, config, stored);
  if (model.provider === "demo")
    return createDemoModel({ tokenDelayMs: config.DEMO_MODEL_TOKEN_DELAY_MS, clockTokens: config.DEMO_MODEL_CLOCK });
  if (model.provider === "gateway") return createGatewayModel();
  return createProviderModel(providerSettings(model.provider, config, stored), model.name);
}
