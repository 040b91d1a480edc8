/** Admin: the secret store behind read_secret — names and dates out, values only in, never back. */
import { z } from "zod";
import { secretName, secretValue } from "../../../shared/secret-schemas";
import { listSecretNames, removeSecret, storeSecret } from "../../../tools/secrets/secret-admin";
import { adminProcedure, router } from "../../trpc";

export const adminSecretsRouter = router({
  list: adminProcedure
    .output(
      z.array(
        z.object({ name: z.string(), createdAt: z.date(), updatedAt: z.date(), updatedBy: z.string().nullable() }),
      ),
    )
    .query(() => listSecretNames()),
  set: adminProcedure
    .input(z.object({ name: secretName, value: secretValue }))
    .output(z.object({ created: z.boolean() }))
    .mutation(({ ctx, input }) => storeSecret({ ...input, actorId: ctx.user.id })),
  delete: adminProcedure
    .input(z.object({ name: secretName }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await removeSecret({ name: input.name, actorId: ctx.user.id });
      return { ok: true as const };
    }),
});
