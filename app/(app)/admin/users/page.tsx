import { UsersConsole } from "@/components/admin/users/users-console";
import { requireAdmin } from "../require-admin";

export default async function AdminUsersPage() {
  const me = await requireAdmin();
  return <UsersConsole meId={me.id} />;
}
