import { AuditLog } from "@/components/admin/audit/audit-log";
import { requireAdmin } from "../require-admin";

export default async function AdminAuditPage() {
  await requireAdmin();
  return <AuditLog />;
}
