import { AdminOverview } from "@/components/admin/admin-overview";
import { requireAdmin } from "./require-admin";

export default async function AdminPage() {
  await requireAdmin();
  return <AdminOverview />;
}
