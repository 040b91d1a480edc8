import { handleHttpApiRequest } from "@/server/http-api/routes";

export const dynamic = "force-dynamic";

/** The HTTP API (server/http-api): every method goes to the one handler, which answers 405 where a route has none. */
export const GET = handleHttpApiRequest;
export const POST = handleHttpApiRequest;
export const PUT = handleHttpApiRequest;
export const PATCH = handleHttpApiRequest;
export const DELETE = handleHttpApiRequest;
