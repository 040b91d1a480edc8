/**
 * Sessions: who the session cookie says the caller is, and whether that session is still
 * current. A session token carries the user's sessionVersion from sign-in; a password
 * change, an admin's reset, a role change, deactivation and "sign out everywhere" bump
 * the version in the database, and every token with an older one is signed out at once.
 */
import { getServerSession } from "next-auth";
import { decode, encode } from "next-auth/jwt";
import { listenFor } from "../db/notifications";
import { SESSIONS_ENDED_CHANNEL } from "../db/users";
import { env } from "../env";
import { authOptions, SESSION_MAX_AGE_SECONDS } from "./options";
import { checkSession, type SessionClaim } from "./session-check";

/** The session cookie's claim, or null (no cookie, or a token from before session versions). */
export async function getSessionClaim(): Promise<SessionClaim | null> {
  const session = await getServerSession(authOptions());
  const user = session?.user;
  if (!user?.id || typeof user.sessionVersion !== "number") return null;
  return { userId: user.id, sessionVersion: user.sessionVersion };
}

export interface SessionWatch {
  /** Aborted when the request's own signal aborts or the session ends. */
  signal: AbortSignal;
  /** True once the session ended (rather than the client leaving). */
  ended: () => boolean;
  stop: () => void;
}

/**
 * For streams (SSE subscriptions), which outlive the check made when they start: the
 * returned signal aborts as soon as the session ends on any instance (NOTIFY from the
 * transaction that bumped the version, then a re-check against the database).
 */
export async function watchSession(claim: SessionClaim, requestSignal?: AbortSignal): Promise<SessionWatch> {
  const controller = new AbortController();
  let ended = false;
  const recheck = async () => {
    if (controller.signal.aborted) return;
    const check = await checkSession(claim).catch(() => null);
    if (check && check.status !== "current") {
      ended = true;
      controller.abort();
    }
  };
  const onRequestAbort = () => controller.abort();
  requestSignal?.addEventListener("abort", onRequestAbort);
  if (requestSignal?.aborted) controller.abort();
  const unlisten = await listenFor(SESSIONS_ENDED_CHANNEL, claim.userId, () => void recheck());
  // A bump committed between the procedure's check and the LISTEN sent no notification we saw.
  await recheck();
  return {
    signal: controller.signal,
    ended: () => ended,
    stop: () => {
      unlisten();
      requestSignal?.removeEventListener("abort", onRequestAbort);
    },
  };
}

function sessionCookieName(): string {
  return env().NEXTAUTH_URL?.startsWith("https://") ? "__Secure-next-auth.session-token" : "next-auth.session-token";
}

function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const separator = part.indexOf("=");
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/**
 * Gives the caller's own session the new version after they changed their password, so
 * the change signs out every other session but not the one that made it: the request's
 * token is re-encrypted with the new version, with the secret and lifetime next-auth uses,
 * and set on the response.
 */
export async function renewOwnSession(options: {
  request: Request;
  responseHeaders: Headers;
  sessionVersion: number;
}): Promise<void> {
  const secret = authOptions().secret;
  const name = sessionCookieName();
  const current = readCookie(options.request, name);
  if (!secret || !current) return;
  const token = await decode({ token: current, secret }).catch(() => null);
  if (!token) return;
  const renewed = await encode({
    token: { ...token, sessionVersion: options.sessionVersion },
    secret,
    maxAge: SESSION_MAX_AGE_SECONDS,
  });
  const expires = new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000).toUTCString();
  const secure = name.startsWith("__Secure-") ? "; Secure" : "";
  options.responseHeaders.append(
    "set-cookie",
    `${name}=${renewed}; Path=/; Expires=${expires}; HttpOnly; SameSite=Lax${secure}`,
  );
}
