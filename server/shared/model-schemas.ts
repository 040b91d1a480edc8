/** Zod schemas of the console's model settings, shared by the admin UI's forms and the server. */
import { z } from "zod";

export const MODEL_PROVIDERS = ["openai", "anthropic", "compatible"] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export const modelNameSchema = z
  .string()
  .trim()
  .min(1, "A model name cannot be empty")
  .max(200, "At most 200 characters")
  .regex(/^[^\s,]+$/, "No spaces or commas in a model name");

export const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: "Enter an http(s) URL such as http://localhost:11434/v1" })
  .max(500, "At most 500 characters");

export const apiKeyValueSchema = z
  .string()
  .trim()
  .min(8, "An API key has at least 8 characters")
  .max(1_000, "At most 1,000 characters")
  .regex(/^\S+$/, "No spaces in an API key");

export const apiKeyChangeSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("keep") }),
  z.object({ action: z.literal("clear") }),
  z.object({ action: z.literal("set"), value: apiKeyValueSchema }),
]);

export const providerSettingsInputSchema = z
  .object({
    provider: z.enum(MODEL_PROVIDERS),
    expectedVersion: z.number().int().min(0),
    enabled: z.boolean(),
    baseUrl: baseUrlSchema.nullable(),
    apiKey: apiKeyChangeSchema,
    models: z.array(modelNameSchema).max(50, "At most 50 models"),
  })
  .superRefine((value, context) => {
    if (value.provider === "compatible" && value.enabled && !value.baseUrl) {
      context.addIssue({
        code: "custom",
        path: ["baseUrl"],
        message: "An OpenAI-compatible server needs its base URL",
      });
    }
  });

export type ProviderSettingsInput = z.infer<typeof providerSettingsInputSchema>;
