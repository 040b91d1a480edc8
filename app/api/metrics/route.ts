import { handleMetricsRequest } from "@/server/api/metrics-endpoint";

export const dynamic = "force-dynamic";

export function GET(request: Request) {
  return handleMetricsRequest(request);
}
