import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createContext, isCrossSiteRequest } from "@/server/api/context";
import { appRouter } from "@/server/api/root";

export const dynamic = "force-dynamic";

function handler(request: Request) {
  if (isCrossSiteRequest(request)) {
    return Response.json({ error: "Cross-site requests are refused." }, { status: 403 });
  }
  return fetchRequestHandler({ endpoint: "/api/trpc", req: request, router: appRouter, createContext });
}

export { handler as GET, handler as POST };
