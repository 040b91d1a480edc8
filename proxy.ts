/**
 * Passes the address a page was asked for on to the server components as a request
 * header, so the signed-in layout can send a signed-out visitor to sign in and then back
 * to exactly that page (the webhook's /inbox?request=… link). No authentication here:
 * the layout decides, from the database, who is signed in.
 */
import { type NextRequest, NextResponse } from "next/server";

export const RETURN_TO_HEADER = "x-airlock-return-to";

export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set(RETURN_TO_HEADER, `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/chat/:path*", "/inbox/:path*", "/admin/:path*", "/account/:path*"] };
