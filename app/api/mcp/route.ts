import { handleMcpRequest } from "@/server/api/mcp-endpoint";

export const dynamic = "force-dynamic";

export { handleMcpRequest as DELETE, handleMcpRequest as GET, handleMcpRequest as POST };
