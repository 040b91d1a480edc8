/**
 * tRPC setup. Exports only the procedures that may be used: public, protected (signed
 * in and active), reviewer and admin. Every role check reads the user's current row, so
 * a demoted or deactivated user loses access at once, whatever their token says.
 * Domain errors are converted to tRPC errors here, once.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import superjson from "superjson";
import { ZodError } from "zod";
import { watchSession } from "../auth/session";
import { checkSession } from "../auth/session-check";
import { isDatabaseUnavailable } from "../db/errors";
import type { SessionUser } from "../db/users";
import { AirlockError, ERROR_STATUS } from "../errors";
import { withLogContext } from "../telemetry/log-context";
import { logger } from "../telemetry/logger";
import { SpanKind, traced } from "../telemetry/tracing";

export interface Context {
  userId: string | null;
  /** The sessionVersion the caller's token carries; a different one in the database is a signed-out session. */
  sessionVersion: number;
  /** Re-issues the caller's own session with a new version (HTTP requests only; see renewOwnSession). */
  renewSession?: (sessionVersion: number) => Promise<void>;
}

/**
 * The context without HTTP: what tests and server-side callers use. The session version
 * defaults to a new user's; pass the one a token carries to test revocation.
 */
export function createInnerContext(options: {
  userId: string | null;
  sessionVersion?: number;
  renewSession?: (sessionVersion: number) => Promise<void>;
}): Context {
  return {
    userId: options.userId,
    sessionVersion: options.sessionVersion ?? 1,
    ...(options.renewSession ? { renewSession: options.renewSession } : {}),
  };
}

/** "title: Text cannot contain NUL characters (U+0000)" rather than zod's JSON dump of its issues. */
function readableIssues(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  sse: {
    ping: { enabled: true, intervalMs: 2_000 },
    client: { reconnectAfterInactivityMs: 5_000 },
  },
  errorFormatter({ shape, error: raw }) {
    // A domain error thrown inside a subscription's stream (e.g. server:stopping) never
    // passes the errors middleware, which only sees what the procedure returns: map it here.
    const error =
      raw.code === "INTERNAL_SERVER_ERROR" && raw.cause instanceof AirlockError
        ? new TRPCError({ code: ERROR_STATUS[raw.cause.code], message: raw.cause.message, cause: raw.cause })
        : raw;
    const zodError = error.cause instanceof ZodError ? error.cause : undefined;
    // A domain error thrown while a subscription streams arrives here wrapped as INTERNAL: its message is ours.
    const internal = error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof AirlockError);
    return {
      ...shape,
      message: internal
        ? "Something went wrong on the server. It has been logged."
        : zodError
          ? readableIssues(zodError)
          : shape.message,
      data: {
        code: error === raw ? shape.data.code : error.code,
        httpStatus: error === raw ? shape.data.httpStatus : getHTTPStatusCodeFromError(error),
        path: shape.data.path,
        // Lets the UI tell an edit conflict (reload to see theirs) from other refusals with the same status.
        domainCode: error.cause instanceof AirlockError ? error.cause.code : undefined,
        fieldErrors: zodError
          ? Object.fromEntries(zodError.issues.map((issue) => [issue.path.join(".") || "(input)", issue.message]))
          : undefined,
      },
    };
  },
});

export const createCallerFactory = t.createCallerFactory;
export const router = t.router;

/** A 503 while the database is away (restarting): the client can tell it from a bug, and retry. */
export const DATABASE_UNAVAILABLE_MESSAGE = "Airlock cannot reach its database right now; try again in a moment.";

const errors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AirlockError) {
      throw new TRPCError({ code: ERROR_STATUS[cause.code], message: cause.message, cause });
    }
    if (isDatabaseUnavailable(cause)) {
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: DATABASE_UNAVAILABLE_MESSAGE, cause });
    }
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      logger.error("procedure failed", { path, error: cause ?? result.error });
    }
  }
  return result;
});

/** Each query and mutation as a server span (subscriptions stay open for hours: not a span). */
const tracing = t.middleware(({ next, path, type, ctx }) => {
  if (type === "subscription") return next();
  const traceRequest = () =>
    traced(
      `trpc ${path}`,
      { "rpc.system": "trpc", "rpc.method": path, "airlock.rpc.type": type, "enduser.id": ctx.userId },
      async (span) => {
        const result = await next();
        if (!result.ok) span.set({ "rpc.response.status_code": result.error.code });
        return result;
      },
      { kind: SpanKind.SERVER },
    );
  return ctx.userId ? withLogContext({ userId: ctx.userId }, traceRequest) : traceRequest();
});

export const publicProcedure = t.procedure.use(tracing).use(errors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  const session = await checkSession({ userId: ctx.userId, sessionVersion: ctx.sessionVersion });
  if (session.status === "signed-out") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session has ended. Sign in again." });
  }
  if (session.status === "inactive")
    throw new TRPCError({ code: "FORBIDDEN", message: "Your account is deactivated." });
  return next({ ctx: { ...ctx, userId: ctx.userId, user: session.user } });
});

function requireRole(allowed: SessionUser["role"][], what: string) {
  return protectedProcedure.use(({ ctx, next }) => {
    if (!allowed.includes(ctx.user.role)) {
      throw new TRPCError({ code: "FORBIDDEN", message: `Only ${what} can do this.` });
    }
    return next({ ctx });
  });
}

export const reviewerProcedure = requireRole(["REVIEWER", "ADMIN"], "reviewers and admins");
export const adminProcedure = requireRole(["ADMIN"], "admins");

/**
 * A subscription's stream that ends the moment the caller's session does (sign out
 * everywhere, password change, role change, deactivation), with UNAUTHORIZED — the check
 * at the start of a stream is not enough for one that stays open for hours.
 */
export async function* whileSessionLasts<T>(
  ctx: { user: SessionUser; sessionVersion: number },
  signal: AbortSignal | undefined,
  stream: (signal: AbortSignal) => AsyncIterable<T>,
): AsyncGenerator<T> {
  const session = await watchSession({ userId: ctx.user.id, sessionVersion: ctx.sessionVersion }, signal);
  try {
    for await (const item of stream(session.signal)) yield item;
    if (session.ended())
      throw new TRPCError({ code: "UNAUTHORIZED", message: "Your session has ended. Sign in again." });
  } finally {
    session.stop();
  }
}
