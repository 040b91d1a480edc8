import type { RouterOutputs } from "../../trpc";

export type AdminMcpServer = RouterOutputs["admin"]["mcpServers"]["list"][number];
export type AdminMcpTool = AdminMcpServer["tools"][number];
export type McpConnectionTest = RouterOutputs["admin"]["mcpServers"]["testConnection"];
