/** The signed-in user's id from the next-auth session cookie, or null. */
import { getServerSession } from "next-auth";
import { authOptions } from "./options";

export async function getSessionUserId(): Promise<string | null> {
  const session = await getServerSession(authOptions());
  return session?.user?.id ?? null;
}
