/** The signed-in user's own API tokens: create (the secret shown once), list, revoke. */
import { createApiToken, listApiTokens, revokeApiToken } from "../../auth/api-tokens";
import { createApiTokenSchema, revokeApiTokenSchema } from "../../shared/api-token-schemas";
import { protectedProcedure, router } from "../trpc";

export const apiTokensRouter = router({
  list: protectedProcedure.query(({ ctx }) => listApiTokens({ userId: ctx.user.id })),
  create: protectedProcedure
    .input(createApiTokenSchema)
    .mutation(({ ctx, input }) =>
      createApiToken({ userId: ctx.user.id, name: input.name, expiresInDays: input.expiresInDays }),
    ),
  revoke: protectedProcedure
    .input(revokeApiTokenSchema)
    .mutation(({ ctx, input }) => revokeApiToken({ userId: ctx.user.id, tokenId: input.tokenId })),
});
