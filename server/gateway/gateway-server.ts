/**
 * The MCP server one request talks to: tools/list and tools/call for the token's user,
 * and the spec's Tasks utility for calls that may wait for a reviewer (tasks/: a
 * task-augmented tools/call returns a task handle at once; tasks/get|result|list|cancel
 * read the database). Built per request (the gateway keeps no state between requests;
 * see session.ts).
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { env } from "../env";
import type { Role } from "../shared/risk";
import { logger } from "../telemetry/logger";
import { defaultToolRegistry } from "../tools/default-registry";
import { GatewayInputError, governedCall } from "./call-tool";
import { cancellationKey, cancelRequest, watchCancellation } from "./cancellations";
import { listedFor, listToolsFor } from "./list-tools";
import { methodOnly, parseRequest } from "./request-params";
import { createCallTask } from "./tasks/create-task";
import { registerTaskHandlers } from "./tasks/task-handlers";

export const GATEWAY_SERVER_INFO = { name: "airlock", title: "Airlock (governed tools)", version: "0.1.0" };

const INSTRUCTIONS =
  "Airlock's tools, governed: every call goes through Airlock's policy. READ calls run at once; " +
  "DESTRUCTIVE and sensitive calls wait for a human reviewer. A call that is still waiting returns " +
  "'pending approval <id>'; call the tool again with the same arguments later to get its outcome. " +
  "A rejected call returns the reviewer's reason: do not retry it. Clients that support tasks may call " +
  "tools whose execution.taskSupport is 'optional' as a task and poll tasks/get instead of waiting.";

export interface GatewayCaller {
  actor: { id: string; role: Role };
  clientName: string;
  /** The session's nonce, or a fresh one when there is no session (initialize). */
  nonce: string;
}

/** A call's failure as the JSON-RPC error its client gets: bad input said plainly, anything else logged. */
function failed(toolName: string) {
  return (error: unknown): never => {
    if (error instanceof GatewayInputError) throw new McpError(ErrorCode.InvalidParams, error.message);
    logger.error("mcp tools/call failed", { tool: toolName, error });
    throw new McpError(
      ErrorCode.InternalError,
      "The call failed because of an error on the server. It has been logged.",
    );
  };
}

export function createGatewayServer(caller: GatewayCaller): Server {
  const server = new Server(GATEWAY_SERVER_INFO, {
    capabilities: {
      tools: { listChanged: false },
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    },
    instructions: INSTRUCTIONS,
  });
  const tools = defaultToolRegistry();

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await listToolsFor({ actor: caller.actor, tools }),
  }));

  server.setRequestHandler(methodOnly("tools/call"), async (raw, extra) => {
    const request = parseRequest(CallToolRequestSchema, raw, "tools/call");
    const { name } = request.params;
    const tool = tools.get(name);
    const listed = tool ? await listedFor({ actor: caller.actor, tool }) : null;
    if (!listed) {
      return {
        content: [{ type: "text", text: `Unknown tool "${name}": it is not one of the tools listed for you.` }],
        isError: true,
      };
    }
    const args = request.params.arguments ?? {};
    const task = request.params.task;
    if (task) {
      if (listed.execution.taskSupport === "forbidden") {
        throw new McpError(
          ErrorCode.MethodNotFound,
          `Tool "${name}" runs at once and does not take task-augmented calls (execution.taskSupport "forbidden"): call it without "task".`,
        );
      }
      return createCallTask({
        actor: caller.actor,
        clientName: caller.clientName,
        toolName: name,
        args,
        requestedTtl: task.ttl,
      }).catch(failed(name));
    }
    const progressToken = request.params._meta?.progressToken;
    const cancellation = await watchCancellation(cancellationKey(caller.nonce, extra.requestId));
    let progress = 0;
    try {
      return await governedCall({
        actor: caller.actor,
        clientName: caller.clientName,
        toolName: name,
        args,
        waitMs: env().MCP_APPROVAL_WAIT_MS,
        signal: AbortSignal.any([extra.signal, cancellation.signal]),
        ...(progressToken !== undefined
          ? {
              onWaiting: (approvalId: string, elapsedMs: number) =>
                extra.sendNotification({
                  method: "notifications/progress",
                  params: {
                    progressToken,
                    progress: ++progress,
                    message: `waiting for a reviewer to decide approval ${approvalId} (${Math.round(elapsedMs / 1000)} s)`,
                  },
                }),
            }
          : {}),
      });
    } catch (error) {
      return failed(name)(error);
    } finally {
      cancellation.release();
    }
  });

  registerTaskHandlers(server, { actor: caller.actor, resultWaitMs: env().MCP_APPROVAL_WAIT_MS });

  server.setNotificationHandler(CancelledNotificationSchema, async (notification) => {
    const requestId = notification.params.requestId;
    if (requestId === undefined) return;
    await cancelRequest(cancellationKey(caller.nonce, requestId)).catch((error) =>
      logger.warn("could not pass on an MCP cancellation", { error: (error as Error).message }),
    );
  });

  return server;
}
