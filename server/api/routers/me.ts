import { changeOwnPassword } from "../../auth/change-password";
import { findPasswordState, findSessionUser } from "../../db/users";
import { changeOwnPasswordSchema } from "../../shared/user-schemas";
import { protectedProcedure, publicProcedure, router } from "../trpc";

export const meRouter = router({
  /** The signed-in user as the database has them now (not as the token remembers). */
  get: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.userId) return null;
    const [user, password] = await Promise.all([findSessionUser(ctx.userId), findPasswordState(ctx.userId)]);
    return user?.active
      ? {
          id: user.id,
          email: user.email,
          name: user.name,
          role: user.role,
          /** Set by an admin's invite or reset: the UI asks them to choose their own. */
          passwordTemporary: password?.passwordTemporary ?? false,
          hasPassword: Boolean(password?.passwordHash),
        }
      : null;
  }),
  /** Replaces the caller's own password (required after an admin set a temporary one). */
  changePassword: protectedProcedure.input(changeOwnPasswordSchema).mutation(async ({ ctx, input }) => {
    await changeOwnPassword({
      userId: ctx.user.id,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
    });
    return { ok: true as const };
  }),
});
