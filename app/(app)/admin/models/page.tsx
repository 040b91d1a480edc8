import { ModelsConsole } from "@/components/admin/models/models-console";
import { requireAdmin } from "../require-admin";

export default async function AdminModelsPage() {
  await requireAdmin();
  return <ModelsConsole />;
}
