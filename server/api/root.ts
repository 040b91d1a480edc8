import { adminRouter } from "./routers/admin";
import { apiTokensRouter } from "./routers/api-tokens";
import { approvalsRouter } from "./routers/approvals";
import { authRouter } from "./routers/auth";
import { chatRouter } from "./routers/chat";
import { conversationRouter } from "./routers/conversation";
import { meRouter } from "./routers/me";
import { modelRouter } from "./routers/model";
import { observabilityRouter } from "./routers/observability";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  admin: adminRouter,
  apiTokens: apiTokensRouter,
  approvals: approvalsRouter,
  auth: authRouter,
  me: meRouter,
  conversation: conversationRouter,
  chat: chatRouter,
  model: modelRouter,
  observability: observabilityRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
