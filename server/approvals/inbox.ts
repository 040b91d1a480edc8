/**
 * What reviewers see: the list of requests with filters, and one request with the
 * conversation that led to it. Results of sensitive reads in that context are masked:
 * a reviewer decides on the request, they are not entitled to earlier secrets.
 */
import {
  countPendingApprovals,
  findApprovalRequest,
  findToolCallOutcome,
  type InboxFilter,
  listApprovalRequests,
  listDecisions,
} from "../db/approvals";
import { readConversationContext } from "../db/conversations";
import { findUserNames } from "../db/users";
import { AirlockError } from "../errors";
import type { ToolCallStatus } from "../shared/run-events";
import { maskDeep } from "../shared/sensitive-values";
import type { ToolPreview } from "../tools/define-tool";
import type { ToolRegistry } from "../tools/registry";
import { mcpToolFlags } from "./mcp-tool-flag";
import { loadSensitiveValues } from "./released-values";

export const MASKED = "[hidden: sensitive value]";

/**
 * The tool call's status and error, so a reviewer learns what became of what they
 * approved (it succeeded, failed, or may have run: UNKNOWN_OUTCOME), not only that the
 * approval was consumed. The error hides released values like everything else here.
 */
function callOutcome(call: { status: ToolCallStatus; error: string | null } | null, released: Iterable<string>) {
  return { callStatus: call?.status ?? null, callError: call?.error ? maskDeep(call.error, released) : null };
}

export async function listInbox(filter: InboxFilter, tools: ToolRegistry) {
  const rows = await listApprovalRequests(filter);
  const users = await findUserNames([...new Set(rows.map((row) => row.requesterId))]);
  // Each request's arguments and summary hide what was released in its own conversation.
  const conversations = [...new Set(rows.map((row) => row.conversationId))];
  const [released, flags] = await Promise.all([
    Promise.all(conversations.map(async (id) => [id, await loadSensitiveValues(id, tools)] as const)).then(
      (entries) => new Map(entries),
    ),
    // Only a pending request is still to be decided: it carries the flag of its MCP tool.
    mcpToolFlags(rows.filter((row) => row.status === "PENDING").map((row) => row.toolName)),
  ]);
  return rows.map((row) => ({
    id: row.id,
    toolName: row.toolName,
    riskClass: row.riskClass,
    status: row.status,
    summary: maskDeep((row.preview as ToolPreview | null)?.summary ?? null, released.get(row.conversationId) ?? []),
    args: maskDeep(row.editedArgs ?? row.args, released.get(row.conversationId) ?? []),
    requester: requesterOf(row.requesterId, users),
    requiredApprovals: row.requiredApprovals,
    approvals: row.decisions.filter(
      (decision) => decision.verdict === "APPROVE" && decision.bindingHash === row.bindingHash,
    ).length,
    approvedBy: row.decisions
      .filter((decision) => decision.verdict === "APPROVE")
      .map((decision) => decision.reviewerId),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    decidedAt: row.decidedAt,
    decisionReason: row.decisionReason,
    ...callOutcome(row.toolCall, released.get(row.conversationId) ?? []),
    toolFlag: row.status === "PENDING" ? (flags.get(row.toolName) ?? null) : null,
  }));
}

/** The requester as reviewers see them; a user row that is gone still shows as someone. */
function requesterOf(id: string, users: Map<string, { name: string; email: string }>) {
  return { id, ...(users.get(id) ?? { name: "Unknown user", email: "" }) };
}

export function pendingCount() {
  return countPendingApprovals();
}

type Part = { type: string; text?: string; toolCallId?: string; toolName?: string; input?: unknown; output?: unknown };

export async function inboxDetail(requestId: string, tools: ToolRegistry) {
  const request = await findApprovalRequest(requestId);
  if (!request) throw new AirlockError("approval:not-found", "This approval request does not exist.");
  const [decisions, context, users, released, call, flags] = await Promise.all([
    listDecisions(request.id),
    readConversationContext(request.conversationId, request.runId, 12),
    findUserNames([request.requesterId]),
    loadSensitiveValues(request.conversationId, tools),
    findToolCallOutcome(request.toolCallId),
    mcpToolFlags(request.status === "PENDING" ? [request.toolName] : []),
  ]);
  const sensitiveCalls = new Set(
    context.toolCalls.filter((call) => call.riskClass === "SENSITIVE_READ").map((call) => call.modelCallId),
  );
  // Results of sensitive reads are hidden whole, and any text repeating their values too.
  const messages = context.messages.map((message) => ({
    id: message.id.toString(),
    role: message.role,
    parts: maskDeep(
      ((Array.isArray(message.parts) ? message.parts : []) as Part[]).map((part) =>
        part.type === "tool-result" && part.toolCallId && sensitiveCalls.has(part.toolCallId)
          ? { ...part, output: { type: "text", value: MASKED } }
          : part,
      ),
      released,
    ),
  }));
  return {
    request: {
      ...request,
      // A model may have put a released value into the arguments of the call to decide on.
      args: maskDeep(request.args, released),
      editedArgs: maskDeep(request.editedArgs, released),
      preview: maskDeep(request.preview as ToolPreview | null, released),
      reasons: request.reasons as string[],
      requester: requesterOf(request.requesterId, users),
      ...callOutcome(call, released),
      toolFlag: flags.get(request.toolName) ?? null,
    },
    decisions: decisions.map((decision) => ({
      reviewer: decision.reviewer,
      reviewerId: decision.reviewerId,
      verdict: decision.verdict,
      reason: decision.reason,
      createdAt: decision.createdAt,
      forCurrentArguments: decision.bindingHash === request.bindingHash,
    })),
    context: messages,
  };
}
