/** /api/mcp: the MCP gateway (server/gateway) for the route handler; app/ reaches the server through api/. */
export { handleMcpRequest } from "../gateway/handle-mcp-request";
