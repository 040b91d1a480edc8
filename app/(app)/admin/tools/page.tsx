import { Suspense } from "react";
import { ToolsConsole } from "@/components/admin/tools/tools-console";
import { requireAdmin } from "../require-admin";

export default async function AdminToolsPage() {
  await requireAdmin();
  return (
    <Suspense fallback={<p className="p-8 text-slate-500">Loading tools…</p>}>
      <ToolsConsole />
    </Suspense>
  );
}
