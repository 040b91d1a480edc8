/** Admin: model providers (keys stored encrypted, shown masked), the default model, and a connection test. */
import { z } from "zod";
import {
  getModelSettings,
  removeProviderConfig,
  saveProviderConfig,
  setDefaultModel,
  testProviderConnection,
} from "../../../models/model-config";
import { MODEL_PROVIDERS, modelNameSchema, providerSettingsInputSchema } from "../../../shared/model-schemas";
import { int32, text } from "../../../shared/text";
import { adminProcedure, router } from "../../trpc";

const provider = z.enum(MODEL_PROVIDERS);
const version = int32();
const done = z.object({ ok: z.literal(true) });

/** What the console may see of a provider: never a key, only its last four characters. */
const providerView = z.object({
  provider,
  label: z.string(),
  source: z.enum(["environment", "console", "none"]),
  enabled: z.boolean(),
  available: z.boolean(),
  unavailableReason: z.string().nullable(),
  baseUrl: z.string().nullable(),
  effectiveBaseUrl: z.string().nullable(),
  maskedKey: z.string().nullable(),
  keySource: z.enum(["console", "environment"]).nullable(),
  models: z.array(z.string()),
  effectiveModels: z.array(z.string()),
  version: z.number(),
  updatedAt: z.date().nullable(),
});

export const adminModelsRouter = router({
  get: adminProcedure
    .output(
      z.object({
        providers: z.array(providerView),
        models: z.array(
          z.object({
            id: z.string(),
            label: z.string(),
            provider: z.string(),
            isDemo: z.boolean(),
          }),
        ),
        defaultModel: z.object({
          configured: z.string().nullable(),
          effective: z.string(),
          environment: z.string().nullable(),
          version: z.number(),
          error: z.string().nullable(),
        }),
        secretsKeyConfigured: z.boolean(),
      }),
    )
    .query(() => getModelSettings()),
  saveProvider: adminProcedure
    .input(providerSettingsInputSchema)
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await saveProviderConfig({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  /** Forgets the console's settings for the provider: the environment's apply again. */
  removeProvider: adminProcedure
    .input(z.object({ provider, expectedVersion: version }))
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await removeProviderConfig({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  setDefault: adminProcedure
    .input(z.object({ modelId: text(300).min(1).nullable(), expectedVersion: version }))
    .output(done)
    .mutation(async ({ ctx, input }) => {
      await setDefaultModel({ ...input, actorId: ctx.user.id });
      return { ok: true as const };
    }),
  testConnection: adminProcedure
    .input(z.object({ provider, modelName: modelNameSchema.optional() }))
    .output(z.object({ ok: z.boolean(), modelId: z.string().nullable(), latencyMs: z.number(), message: z.string() }))
    .mutation(({ input }) => testProviderConnection(input)),
});
