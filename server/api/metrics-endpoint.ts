/**
 * GET /api/metrics: the Prometheus exposition, for a scraper with the bearer token
 * (METRICS_TOKEN) or a signed-in admin. Anyone else gets 401 (no credentials) or 403
 * (signed in, not an admin); with no token configured only admins can read it.
 */
import { timingSafeEqual } from "node:crypto";
import { getSessionClaim } from "../auth/session";
import { checkSession } from "../auth/session-check";
import { readSystemFigures } from "../db/system-figures";
import { env } from "../env";
import { METRICS_CONTENT_TYPE, metricsText, setSystemFiguresSource } from "../telemetry/metrics";

let sourceSet = false;

function bearerMatches(header: string | null, token: string | undefined): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice("Bearer ".length).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type Access = "granted" | "unauthenticated" | "forbidden";

async function access(request: Request, claim: () => Promise<{ userId: string; sessionVersion: number } | null>) {
  const authorization = request.headers.get("authorization");
  if (bearerMatches(authorization, env().METRICS_TOKEN)) return "granted";
  if (authorization) return "unauthenticated"; // a wrong token is not rescued by a cookie
  const session = await claim();
  if (!session) return "unauthenticated";
  const checked = await checkSession(session);
  if (checked.status !== "current") return "unauthenticated";
  return checked.user.role === "ADMIN" ? "granted" : "forbidden";
}

export async function handleMetricsRequest(
  request: Request,
  claim: () => Promise<{ userId: string; sessionVersion: number } | null> = getSessionClaim,
): Promise<Response> {
  const verdict: Access = await access(request, claim);
  if (verdict !== "granted") {
    return new Response(verdict === "forbidden" ? "Only admins can read the metrics.\n" : "Unauthorized.\n", {
      status: verdict === "forbidden" ? 403 : 401,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        ...(verdict === "unauthenticated" ? { "www-authenticate": 'Bearer realm="airlock-metrics"' } : {}),
      },
    });
  }
  if (!sourceSet) {
    setSystemFiguresSource(readSystemFigures);
    sourceSet = true;
  }
  return new Response(await metricsText(), {
    status: 200,
    headers: { "content-type": METRICS_CONTENT_TYPE, "cache-control": "no-store" },
  });
}
