import { DEMO_USERS } from "../../auth/demo-users";
import { configuredProviders } from "../../auth/options";
import { env } from "../../env";
import { publicProcedure, router } from "../trpc";

export const authRouter = router({
  /** What the sign-in page offers: external providers, and the demo sign-ins when seeded. */
  signInOptions: publicProcedure.query(() => ({
    providers: configuredProviders(),
    demoUsers: env().SEED_DEMO_USERS
      ? DEMO_USERS.map(({ email, password, role, name }) => ({ email, password, role, name }))
      : [],
  })),
});
