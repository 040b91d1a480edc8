import { forbidden } from "next/navigation";
import { serverApi } from "@/server/api/server-caller";

/** Admin pages render only for a user whose current row says ADMIN (every procedure checks again). */
export async function requireAdmin() {
  const me = await (await serverApi()).me.get();
  if (me?.role !== "ADMIN") forbidden();
  return me;
}
