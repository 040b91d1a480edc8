/** The engine's knobs and what it depends on, so tests and benchmarks can inject their own. */
import type { LanguageModelV4 } from "@ai-sdk/provider";
import { env } from "../env";
import { resolveModel } from "../models/registry";
import { type Logger, logger } from "../telemetry/logger";
import type { ToolRegistry } from "../tools/registry";

export interface EngineConfig {
  maxSteps: number;
  runTimeoutMs: number;
  toolTimeoutMs: number;
  toolConcurrency: number;
  modelMaxRetries: number;
  modelIdleTimeoutMs: number;
  modelRetryBaseMs: number;
  /** Larger tool results are cut to this many characters of JSON before the model sees them. */
  toolOutputCapChars: number;
  leaseMs: number;
  /** Recoveries (claims after an expired lease) a run may have; one more fails it. */
  maxRecoveries: number;
  /** Base of the doubling pause before a run recovered more than once is claimable again. */
  recoveryBackoffMs: number;
}

export interface EngineDependencies {
  config: EngineConfig;
  tools: ToolRegistry;
  resolveModel: (modelId: string) => LanguageModelV4;
  logger: Logger;
}

export function engineConfigFromEnv(): EngineConfig {
  const config = env();
  return {
    maxSteps: config.RUN_MAX_STEPS,
    runTimeoutMs: config.RUN_TIMEOUT_MS,
    toolTimeoutMs: config.TOOL_TIMEOUT_MS,
    toolConcurrency: config.TOOL_CONCURRENCY,
    modelMaxRetries: config.MODEL_MAX_RETRIES,
    modelIdleTimeoutMs: config.MODEL_IDLE_TIMEOUT_MS,
    modelRetryBaseMs: 500,
    toolOutputCapChars: 64_000,
    leaseMs: config.RUN_LEASE_MS,
    maxRecoveries: config.RUN_MAX_RECOVERIES,
    recoveryBackoffMs: config.RUN_RECOVERY_BACKOFF_MS,
  };
}

export function defaultEngineDependencies(tools: ToolRegistry): EngineDependencies {
  return { config: engineConfigFromEnv(), tools, resolveModel: (modelId) => resolveModel(modelId), logger };
}
