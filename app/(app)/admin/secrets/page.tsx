import { SecretsConsole } from "@/components/admin/secrets/secrets-console";
import { requireAdmin } from "../require-admin";

export default async function AdminSecretsPage() {
  await requireAdmin();
  return <SecretsConsole />;
}
