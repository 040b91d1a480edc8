/** Zod schemas of the console's model settings, shared by the admin UI's forms and the server. */
import { z } from "zod";
import { int32, storableTextCheck, text } from "./text";

export const MODEL_PROVIDERS = ["openai", "anthropic", "compatible"] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

export const modelNameSchema = text(200, { trim: true })
  .min(1, "A model name cannot be empty")
  .regex(/^[^\s,]+$/, "No spaces or commas in a model name");

export const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: "Enter an http(s) URL such as http://localhost:11434/v1" })
  .check(storableTextCheck)
  .max(500, "At most 500 characters");

export const apiKeyValueSchema = text(1_000, { trim: true })
  .min(8, "An API key has at least 8 characters")
  .regex(/^\S+$/, "No spaces in an API key");

export const apiKeyChangeSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("keep") }),
  z.object({ action: z.literal("clear") }),
  z.object({ action: z.literal("set"), value: apiKeyValueSchema }),
]);

export const providerSettingsInputSchema = z
  .object({
    provider: z.enum(MODEL_PROVIDERS),
    expectedVersion: int32(),
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
