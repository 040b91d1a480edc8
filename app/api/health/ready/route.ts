// Readiness for a load balancer: the same check as /api/health.
import { GET as readiness } from "../route";

export const dynamic = "force-dynamic";

export const GET = readiness;
