/**
 * What the HTTP API does with runs, for the token's user: start one (in an owned or a new
 * conversation, through the same sendMessage as the chat), read its outcome, list its
 * pending approvals, cancel it. Ownership first: another user's run is "not found".
 */
import type { z } from "zod";
import * as conversations from "../agent/conversations";
import { listPendingApprovalsOfRun, type PendingApprovalRow, readRunOutcome } from "../db/run-outcome";
import { AirlockError } from "../errors";
import { TERMINAL_RUN_STATUSES } from "../shared/run-events";
import type { pendingApproval, runOutcomeResponse, startRunBody, startRunResponse } from "./schemas";

export const API_PREFIX = "/api/v1";

function linksOf(runId: string) {
  return {
    run: `${API_PREFIX}/runs/${runId}`,
    events: `${API_PREFIX}/runs/${runId}/events`,
    approvals: `${API_PREFIX}/runs/${runId}/approvals`,
  };
}

export async function startRun(options: {
  userId: string;
  body: z.infer<typeof startRunBody>;
}): Promise<z.infer<typeof startRunResponse>> {
  const { userId, body } = options;
  if (body.conversationId && (body.title !== undefined || body.modelId !== undefined)) {
    throw new AirlockError(
      "request:invalid",
      "title and modelId are for a new conversation: leave them out when you pass conversationId.",
    );
  }
  const conversationId =
    body.conversationId ??
    (
      await conversations.createConversation({
        ownerId: userId,
        ...(body.title ? { title: body.title } : {}),
        ...(body.modelId ? { modelId: body.modelId } : {}),
      })
    ).id;
  const run = await conversations.sendMessage({ ownerId: userId, conversationId, text: body.text });
  return { runId: run.id, conversationId, status: "QUEUED", links: linksOf(run.id) };
}

function toPendingApproval(row: PendingApprovalRow): z.infer<typeof pendingApproval> {
  return {
    id: row.id,
    toolCallId: row.toolCallId,
    toolName: row.toolName,
    riskClass: row.riskClass,
    status: row.status,
    requiredApprovals: row.requiredApprovals,
    approvalsSoFar: row._count.decisions,
    reasons: Array.isArray(row.reasons) ? row.reasons.filter((reason) => typeof reason === "string") : [],
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
  };
}

function textOf(messages: { parts: unknown }[]): string {
  return messages
    .flatMap((message) => (Array.isArray(message.parts) ? message.parts : []))
    .filter(
      (part): part is { type: "text"; text: string } =>
        typeof part === "object" && part !== null && part.type === "text" && typeof part.text === "string",
    )
    .map((part) => part.text)
    .join("");
}

export async function readRun(options: { userId: string; runId: string }): Promise<z.infer<typeof runOutcomeResponse>> {
  await conversations.requireOwnedRun(options.runId, options.userId);
  const [run, toolCalls, messages, pending] = await readRunOutcome(options.runId);
  if (!run) throw new AirlockError("run:not-found", "This run does not exist or is not yours.");
  return {
    id: run.id,
    conversationId: run.conversationId,
    status: run.status,
    finished: TERMINAL_RUN_STATUSES.has(run.status),
    modelId: run.modelId,
    error: run.error,
    text: textOf(messages),
    toolCalls: toolCalls.map(({ approvals, ...call }) => ({
      ...call,
      result: call.result ?? null,
      approval: approvals[0] ?? null,
    })),
    pendingApprovals: pending.map(toPendingApproval),
    lastEventId: run.lastEventSeq,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

export async function listRunApprovals(options: { userId: string; runId: string }) {
  await conversations.requireOwnedRun(options.runId, options.userId);
  const pending = await listPendingApprovalsOfRun(options.runId);
  return { runId: options.runId, approvals: pending.map(toPendingApproval) };
}

export async function cancelRun(options: { userId: string; runId: string }) {
  const { status } = await conversations.cancelRun({ runId: options.runId, userId: options.userId });
  return { runId: options.runId, status };
}
