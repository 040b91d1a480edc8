/**
 * read_secret: release one stored secret's value. SENSITIVE_READ, always: a reviewer
 * approves before the value reaches the model. The preview and the logs name the secret,
 * never its value; whoever shows the result to others must treat it as sensitive (see
 * the engine's handling of SENSITIVE_READ results).
 */
import { z } from "zod";
import { openSecret } from "../../crypto/secret-box";
import { findSealedSecret, findSecretSummary } from "../../db/secrets";
import { defineTool } from "../define-tool";
import { secretName } from "./secret-store";

export class SecretNotFoundError extends Error {
  constructor(name: string) {
    super(`There is no secret named ${name}.`);
    this.name = "SecretNotFoundError";
  }
}

export function createReadSecretTool(options: { key: () => Buffer }) {
  return defineTool({
    name: "read_secret",
    description:
      "Read the value of a stored secret (an API key, password or token) by its name, e.g. STRIPE_API_KEY. A human must approve each read.",
    input: z.object({ name: secretName }),
    output: z.object({ name: z.string(), value: z.string() }),
    risk: "SENSITIVE_READ",
    idempotent: true,
    sensitiveValues: (output) => [output.value],
    facts(input) {
      return { secret: input.name };
    },
    async preview(input) {
      const summary = await findSecretSummary(input.name);
      if (!summary) return { summary: `Read secret ${input.name} (it does not exist)`, format: "text" };
      return {
        summary: `Release the value of secret ${input.name} to the agent`,
        detail: `Last changed ${summary.updatedAt.toISOString()}${summary.updatedBy ? ` by user ${summary.updatedBy}` : ""}. The value is not shown here.`,
        format: "text",
      };
    },
    async execute(input, context) {
      const sealed = await findSealedSecret(input.name);
      if (!sealed) throw new SecretNotFoundError(input.name);
      const value = openSecret(options.key(), input.name, sealed);
      // The name only: the value must not reach logs.
      context.logger.info("secret released", { name: input.name, actorId: context.actor.id });
      return { name: input.name, value };
    },
  });
}
