import { forbidden } from "next/navigation";
import { AdminOverview } from "@/components/admin/admin-overview";
import { serverApi } from "@/server/api/server-caller";

export default async function AdminPage() {
  const me = await (await serverApi()).me.get();
  if (me?.role !== "ADMIN") forbidden();
  return <AdminOverview />;
}
