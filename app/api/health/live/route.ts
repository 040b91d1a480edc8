// Liveness: 200 while this process answers, whatever the database does (it recovers by itself).
import { liveness } from "@/server/db/health";

export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(liveness());
}
