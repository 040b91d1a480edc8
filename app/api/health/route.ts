// Readiness: 200 when this instance can serve (its database answers), 503 otherwise.
import { checkHealth } from "@/server/db/health";

export const dynamic = "force-dynamic";

export async function GET() {
  const health = await checkHealth();
  return Response.json(health, { status: health.status === "ok" ? 200 : 503 });
}
