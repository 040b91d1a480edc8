/**
 * Every model Airlock can talk to, behind the AI SDK's language-model interface.
 * Which providers exist is configuration (keys and base URLs in the environment);
 * the engine only ever asks for `resolveModel(id)`. Model ids are `<provider>:<name>`,
 * plus `demo` for the built-in offline model.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { type Env, env } from "../env";
import { AirlockError } from "../errors";
import { createDemoModel, DEMO_MODEL_ID } from "./demo-model";

export type ProviderId = "demo" | "openai" | "anthropic" | "compatible";

export interface ModelDescriptor {
  id: string;
  provider: ProviderId;
  name: string;
  label: string;
  isDemo: boolean;
}

const DEFAULT_OPENAI_MODELS = ["gpt-4.1", "gpt-4.1-mini"];
const DEFAULT_ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5"];

const PROVIDER_LABEL: Record<ProviderId, string> = {
  demo: "Demo",
  openai: "OpenAI",
  anthropic: "Anthropic",
  compatible: "OpenAI-compatible",
};

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

export function listModels(config: Env = env()): ModelDescriptor[] {
  const models: ModelDescriptor[] = [];
  if (config.OPENAI_API_KEY) models.push(...DEFAULT_OPENAI_MODELS.map((name) => describe("openai", name)));
  if (config.ANTHROPIC_API_KEY) models.push(...DEFAULT_ANTHROPIC_MODELS.map((name) => describe("anthropic", name)));
  if (config.OPENAI_COMPATIBLE_BASE_URL) {
    const names = (config.OPENAI_COMPATIBLE_MODELS ?? "default")
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    models.push(...names.map((name) => describe("compatible", name)));
  }
  models.push(DEMO);
  return models;
}

export function defaultModelId(config: Env = env()): string {
  const models = listModels(config);
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

export function findModel(modelId: string, config: Env = env()): ModelDescriptor {
  const model = listModels(config).find((candidate) => candidate.id === modelId);
  if (!model) {
    throw new AirlockError("model:unknown", `The model "${modelId}" is not configured on this server.`);
  }
  return model;
}

export function resolveModel(modelId: string, config: Env = env()): LanguageModelV4 {
  const model = findModel(modelId, config);
  switch (model.provider) {
    case "demo":
      return createDemoModel({ tokenDelayMs: config.DEMO_MODEL_TOKEN_DELAY_MS });
    case "openai":
      // Chat Completions, the API every OpenAI-compatible server also speaks.
      return createOpenAI({ apiKey: config.OPENAI_API_KEY, baseURL: config.OPENAI_BASE_URL }).chat(model.name);
    case "anthropic":
      return createAnthropic({ apiKey: config.ANTHROPIC_API_KEY })(model.name);
    case "compatible":
      return createOpenAICompatible({
        name: "compatible",
        baseURL: config.OPENAI_COMPATIBLE_BASE_URL ?? "",
        apiKey: config.OPENAI_COMPATIBLE_API_KEY,
        includeUsage: true,
      }).chatModel(model.name);
  }
}
