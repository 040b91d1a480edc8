import { changeOwnPassword } from "../../auth/change-password";
import { checkSession } from "../../auth/session-check";
import { signOutEverywhere } from "../../auth/sign-out-everywhere";
import { findOwnAccount, setOwnTheme } from "../../db/users";
import { AirlockError } from "../../errors";
import { changeOwnPasswordSchema, setThemeSchema } from "../../shared/user-schemas";
import { protectedProcedure, publicProcedure, router } from "../trpc";

export const meRouter = router({
  /**
   * The signed-in user as the database has them now (not as the token remembers); null
   * when signed out, deactivated, or the session was ended (pages then send them to sign in).
   */
  get: publicProcedure.query(async ({ ctx }) => {
    if (!ctx.userId) return null;
    const [session, account] = await Promise.all([
      checkSession({ userId: ctx.userId, sessionVersion: ctx.sessionVersion }),
      findOwnAccount(ctx.userId),
    ]);
    if (session.status !== "current") return null;
    const { user } = session;
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      /** Set by an admin's invite or reset: the UI asks them to choose their own. */
      passwordTemporary: account?.passwordTemporary ?? false,
      hasPassword: Boolean(account?.passwordHash),
      /** Drawn by the server into <html> (app/layout.tsx), so every device gets it at first paint. */
      theme: account?.theme ?? "SYSTEM",
    };
  }),
  /**
   * Replaces the caller's own password (required after an admin set a temporary one).
   * Every other session ends; this one is renewed with the new session version.
   */
  changePassword: protectedProcedure.input(changeOwnPasswordSchema).mutation(async ({ ctx, input }) => {
    const { sessionVersion } = await changeOwnPassword({
      userId: ctx.user.id,
      currentPassword: input.currentPassword,
      newPassword: input.newPassword,
    });
    await ctx.renewSession?.(sessionVersion);
    return { ok: true as const };
  }),
  /** Remembers the caller's theme for every browser and device they sign in on. */
  setTheme: protectedProcedure.input(setThemeSchema).mutation(async ({ ctx, input }) => {
    const theme = await setOwnTheme(ctx.user.id, input.theme);
    // Deactivated between the session check and the write.
    if (!theme) throw new AirlockError("auth:inactive", "Your account is deactivated.");
    return { theme };
  }),
  /** Ends every session of the caller, this one included. */
  signOutEverywhere: protectedProcedure.mutation(async ({ ctx }) => {
    await signOutEverywhere({ userId: ctx.user.id });
    return { ok: true as const };
  }),
});
