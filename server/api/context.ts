/** The HTTP request → tRPC context: the session's claim (user id and session version). */
import { getSessionClaim, renewOwnSession } from "../auth/session";
import { type Context, createInnerContext } from "./trpc";

/** `http` is there for route handlers, whose response can carry a renewed session cookie. */
export async function createContext(http?: { req: Request; resHeaders: Headers }): Promise<Context> {
  const claim = await getSessionClaim();
  return createInnerContext({
    userId: claim?.userId ?? null,
    // 0 is no user's version: a token without one (issued before versions existed) is signed out.
    sessionVersion: claim?.sessionVersion ?? 0,
    ...(http
      ? {
          renewSession: (sessionVersion: number) =>
            renewOwnSession({ request: http.req, responseHeaders: http.resHeaders, sessionVersion }),
        }
      : {}),
  });
}

/**
 * Refuses state-changing requests from other sites (CSRF). The session cookie is
 * SameSite=Lax already; this also covers same-site subdomains and old browsers.
 */
export function isCrossSiteRequest(request: Request): boolean {
  if (request.method === "GET" || request.method === "HEAD") return false;
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") return true;
  const origin = request.headers.get("origin");
  if (!origin) return false;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}
