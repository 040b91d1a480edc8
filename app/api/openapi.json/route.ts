import { openApiResponse } from "@/server/http-api/openapi";

export const dynamic = "force-dynamic";

export function GET() {
  return openApiResponse();
}
