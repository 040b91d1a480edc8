/**
 * DNS-rebinding protection for /api/mcp (the MCP transport spec: servers MUST validate
 * Origin). A browser always sends Origin on a POST; a page that reached this server
 * through a rebound DNS name carries its own site's origin, so comparing Origin with the
 * Host header would prove nothing. Allowed: no Origin (not a browser), the app's own
 * public origin (NEXTAUTH_URL), the configured MCP_ALLOWED_ORIGINS, and loopback pages
 * talking to a server they reached over loopback.
 */
import { env } from "../env";

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function loopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

function hostnameOf(hostHeader: string | null): string | null {
  if (!hostHeader) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return null;
  }
}

export function isAllowedOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  const config = env();
  const allowed = new Set(config.MCP_ALLOWED_ORIGINS.map((entry) => entry.replace(/\/+$/, "")));
  if (config.NEXTAUTH_URL) allowed.add(new URL(config.NEXTAUTH_URL).origin);
  if (allowed.has(parsed.origin)) return true;
  const host = hostnameOf(request.headers.get("host"));
  return loopback(parsed.hostname) && host !== null && loopback(host);
}
