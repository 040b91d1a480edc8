import { ApprovalSettings } from "@/components/admin/settings/approval-settings";
import { requireAdmin } from "../require-admin";

export default async function AdminSettingsPage() {
  await requireAdmin();
  return <ApprovalSettings />;
}
