/** tRPC called from server components: same procedures, same authorization, no HTTP hop. */
import { cache } from "react";
import { createContext } from "./context";
import { createCaller } from "./root";

export async function serverApi() {
  return createCaller(await createContext());
}

/**
 * The signed-in user as me.get returns them, read once per request: the root layout (for
 * the theme on <html>), the app layout and the sign-in page share the one read.
 */
export const currentUser = cache(async () => (await serverApi()).me.get());
