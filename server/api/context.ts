/** The HTTP request → tRPC context: the session's user id, after a same-origin check. */
import { getSessionUserId } from "../auth/session";
import type { Context } from "./trpc";

export async function createContext(): Promise<Context> {
  return { userId: await getSessionUserId() };
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
