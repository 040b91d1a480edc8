/**
 * What one instance's tools/list of a server does to the stored tools, in one transaction
 * under the server's row lock (instances listing the same server apply one at a time):
 * a new tool is recorded (needing confirmation), a known tool whose definition hash moved
 * is flagged with its previous definition, audited with the diff, and its pending approval
 * requests are voided (their calls go back to be decided again), and a tool no longer
 * listed is marked removed. Nothing is written when nothing changed.
 */
import type { Tool as RemoteTool } from "@modelcontextprotocol/sdk/types.js";
import { voidApprovalRequest } from "../approvals/void-request";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Prisma } from "../db/generated/client";
import {
  insertMcpTool,
  listMcpToolRowsOfServer,
  listPendingApprovalsOfTool,
  lockMcpServer,
  type McpToolDefinition,
  markMcpToolsRemoved,
  markMcpToolsSeen,
  notifyMcpConfigChanged,
  replaceMcpToolDefinition,
} from "../db/mcp-servers";
import { requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import { inTransaction } from "../db/transaction";
import { replaceUnstorableJson } from "../shared/text";
import {
  definitionDiff,
  definitionHash,
  definitionOf,
  namespacedToolNames,
  type RemoteToolDefinition,
  TOOL_NAME_MAX,
  type ToolDefinitionSnapshot,
} from "./definition";

export interface ListingChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Only what the hash covers, with text PostgreSQL cannot store replaced (a hostile server may send NULs). */
export function normalizeListing(listed: RemoteTool[]): RemoteToolDefinition[] {
  const clean = replaceUnstorableJson(
    listed.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: tool.annotations,
    })),
  ) as RemoteToolDefinition[];
  return clean.map((tool) => JSON.parse(JSON.stringify(tool)) as RemoteToolDefinition);
}

function snapshotOfRow(row: {
  remoteName: string;
  description: string;
  inputSchema: unknown;
  outputSchema: unknown;
  annotations: unknown;
}): ToolDefinitionSnapshot {
  return {
    name: row.remoteName,
    description: row.description,
    inputSchema: row.inputSchema as Record<string, unknown>,
    outputSchema: (row.outputSchema ?? null) as Record<string, unknown> | null,
    annotations: (row.annotations ?? null) as Record<string, unknown> | null,
  };
}

export async function applyToolListing(options: {
  serverId: string;
  serverName: string;
  listed: RemoteToolDefinition[];
}): Promise<ListingChanges> {
  const changes: ListingChanges = { added: [], changed: [], removed: [] };
  const names = namespacedToolNames(
    options.serverName,
    options.listed.map((tool) => tool.name),
  );
  await inTransaction(async (tx) => {
    if (!(await lockMcpServer(tx, options.serverId))) return; // deleted meanwhile
    const stored = await listMcpToolRowsOfServer(options.serverId, tx);
    const byRemote = new Map(stored.map((row) => [row.remoteName, row]));
    const seen: string[] = [];
    const listedNames = new Set<string>();
    for (const tool of options.listed) {
      if (listedNames.has(tool.name)) continue; // a listing naming one tool twice: the first counts
      listedNames.add(tool.name);
      const snapshot = definitionOf(tool);
      const definition: McpToolDefinition = {
        remoteName: tool.name,
        name: names.get(tool.name) ?? tool.name,
        description: snapshot.description,
        inputSchema: snapshot.inputSchema as Prisma.InputJsonValue,
        outputSchema: snapshot.outputSchema as Prisma.InputJsonValue | null,
        annotations: snapshot.annotations as Prisma.InputJsonValue | null,
        definitionHash: definitionHash(tool),
      };
      const row = byRemote.get(tool.name);
      if (!row && stored.some((other) => other.name === definition.name)) {
        // The name is held by another remote name this server listed before (a rare collision): stay unique.
        definition.name = `${definition.name.slice(0, TOOL_NAME_MAX - 9)}_${definition.definitionHash.slice(0, 8)}`;
      }
      if (!row) {
        await insertMcpTool(tx, options.serverId, definition);
        changes.added.push(definition.name);
        await recordAuditEvent(tx, {
          actorId: null,
          action: "mcp.tool-discovered",
          targetType: "mcp-tool",
          targetId: definition.name,
          data: { serverId: options.serverId, remoteName: tool.name, definitionHash: definition.definitionHash },
        });
        continue;
      }
      if (row.definitionHash === definition.definitionHash) {
        seen.push(row.id);
        continue;
      }
      const previous = snapshotOfRow(row);
      await replaceMcpToolDefinition(tx, {
        id: row.id,
        definition: { ...definition, name: row.name },
        previous: previous as unknown as Prisma.InputJsonValue,
      });
      changes.changed.push(row.name);
      const pending = await listPendingApprovalsOfTool(tx, row.name);
      const why = `the MCP server changed the definition of ${row.name}`;
      for (const request of pending) {
        if (await voidApprovalRequest(tx, { requestId: request.id, from: "PENDING", why, actorId: null })) {
          await setToolCallStatus(tx, { toolCallId: request.toolCallId, from: ["AWAITING_APPROVAL"], to: "PENDING" });
          await requeueRun(request.runId, tx);
        }
      }
      await recordAuditEvent(tx, {
        actorId: null,
        action: "mcp.tool-changed",
        targetType: "mcp-tool",
        targetId: row.name,
        data: {
          serverId: options.serverId,
          remoteName: tool.name,
          before: row.definitionHash,
          after: definition.definitionHash,
          wasConfirmed: row.confirmedHash === row.definitionHash,
          diff: definitionDiff(previous, snapshotOfRow({ ...definition, remoteName: tool.name })),
          voidedRequests: pending.map((request) => request.id),
        },
      });
    }
    await markMcpToolsSeen(tx, seen);
    const gone = stored.filter((row) => !listedNames.has(row.remoteName) && row.removedAt === null);
    await markMcpToolsRemoved(
      tx,
      gone.map((row) => row.id),
    );
    changes.removed.push(...gone.map((row) => row.name));
    // Tools listed again after they went away count as a change too (markMcpToolsSeen moved their version).
    const returned = stored.filter((row) => listedNames.has(row.remoteName) && row.removedAt !== null);
    if (changes.added.length + changes.changed.length + changes.removed.length + returned.length > 0) {
      await notifyMcpConfigChanged(tx, options.serverId);
    }
  });
  return changes;
}
