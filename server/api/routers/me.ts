import { findSessionUser } from "../../db/users";
import { publicProcedure, router } from "../trpc";

export const meRouter = router({
  /** The signed-in user as the database has them now (not as the token remembers). */
  get: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.userId) return null;
    const user = await findSessionUser(ctx.userId);
    return user?.active ? { id: user.id, email: user.email, name: user.name, role: user.role } : null;
  }),
});
