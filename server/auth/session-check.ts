/**
 * Whether a session token's claim still holds: the user's current row against the
 * sessionVersion the token carries. One check for every reader of a session — tRPC
 * procedures, pages, open streams and next-auth's own session callback.
 */
import { findSessionUser, type SessionUser } from "../db/users";

export interface SessionClaim {
  userId: string;
  sessionVersion: number;
}

export type SessionCheck =
  | { status: "current"; user: SessionUser }
  | { status: "signed-out" }
  | { status: "inactive"; user: SessionUser };

/**
 * The per-request user load: the user's current row, and whether the claim still holds.
 * A token from before session versions carries none, and is signed out.
 */
export async function checkSession(claim: {
  userId: string;
  sessionVersion: number | undefined;
}): Promise<SessionCheck> {
  const user = await findSessionUser(claim.userId);
  if (!user || user.sessionVersion !== claim.sessionVersion) return { status: "signed-out" };
  if (!user.active) return { status: "inactive", user };
  return { status: "current", user };
}
