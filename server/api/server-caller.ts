/** tRPC called from server components: same procedures, same authorization, no HTTP hop. */
import { createContext } from "./context";
import { createCaller } from "./root";

export async function serverApi() {
  return createCaller(await createContext());
}
