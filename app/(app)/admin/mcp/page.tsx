import { McpConsole } from "@/components/admin/mcp/mcp-console";
import { requireAdmin } from "../require-admin";

export default async function AdminMcpPage() {
  await requireAdmin();
  return <McpConsole />;
}
