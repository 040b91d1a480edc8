/**
 * Conversations as their owner sees them: list, create, rename, delete, read the
 * transcript, send a message (which queues a run) and cancel a run.
 */
import { randomUUID } from "node:crypto";
import { auditStatement, recordAuditEvent } from "../audit/record-audit-event";
import * as conversations from "../db/conversations";
import { ConversationNotFoundError, databaseSignal, RunBusyError } from "../db/errors";
import { findActiveRun, findRun, queueRunStatements, requestRunCancel } from "../db/runs";
import { runInOneRoundTrip } from "../db/sql-batch";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { GATEWAY_MODEL_ID } from "../models/gateway-model";
import { defaultModelId, findModel } from "../models/registry";
import { runTraceStatements } from "./run-tracing";

export const MAX_MESSAGE_CHARS = 100_000;

function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || conversations.UNTITLED_CONVERSATION;
}

export { listConversations } from "../db/conversations";

/** A model a person may chat with: a configured one, never the MCP gateway's own. */
function requireChatModel(modelId: string): void {
  if (modelId === GATEWAY_MODEL_ID) {
    throw new AirlockError("model:unknown", `The model "${modelId}" is not configured on this server.`);
  }
  findModel(modelId);
}

export async function createConversation(options: { ownerId: string; title?: string; modelId?: string }) {
  const modelId = options.modelId ?? defaultModelId();
  requireChatModel(modelId);
  return conversations.createConversation({
    ownerId: options.ownerId,
    title: options.title?.trim() || conversations.UNTITLED_CONVERSATION,
    modelId,
  });
}

/** The conversation an outside agent's MCP calls run in ("MCP: <client name>"), on the gateway's model. */
export async function createGatewayConversation(options: { ownerId: string; title: string }) {
  return conversations.createConversation({ ...options, modelId: GATEWAY_MODEL_ID });
}

export async function requireConversation(id: string, ownerId: string) {
  const conversation = await conversations.findOwnedConversation(id, ownerId);
  if (!conversation)
    throw new AirlockError("conversation:not-found", "This conversation does not exist or is not yours.");
  return conversation;
}

export async function renameConversation(options: { id: string; ownerId: string; title: string }) {
  if (!(await conversations.updateConversation(options.id, options.ownerId, { title: options.title.trim() }))) {
    throw new AirlockError("conversation:not-found", "This conversation does not exist or is not yours.");
  }
}

export async function setConversationModel(options: { id: string; ownerId: string; modelId: string }) {
  requireChatModel(options.modelId);
  if (!(await conversations.updateConversation(options.id, options.ownerId, { modelId: options.modelId }))) {
    throw new AirlockError("conversation:not-found", "This conversation does not exist or is not yours.");
  }
}

export async function deleteConversation(options: { id: string; ownerId: string }) {
  // Ownership first: another user's conversation answers like a missing one, whatever its run is doing.
  await requireConversation(options.id, options.ownerId);
  const active = await findActiveRun(options.id);
  if (active?.status === "RUNNING") {
    throw new AirlockError("run:busy", "Stop the running answer before deleting this conversation.");
  }
  if (!(await conversations.deleteConversation(options.id, options.ownerId))) {
    throw new AirlockError("conversation:not-found", "This conversation does not exist or is not yours.");
  }
}

export async function getTranscript(options: { id: string; ownerId: string }) {
  const conversation = await requireConversation(options.id, options.ownerId);
  const [messages, toolCalls, runs] = await conversations.readTranscript(conversation.id);
  return {
    conversation,
    messages: messages.map((message) => ({ ...message, id: message.id.toString() })),
    toolCalls: toolCalls.map(({ approvals, ...call }) => ({ ...call, approval: approvals[0] ?? null })),
    runs,
    activeRun:
      runs.findLast(
        (run) => run.status === "QUEUED" || run.status === "RUNNING" || run.status === "AWAITING_APPROVAL",
      ) ?? null,
  };
}

/** Stores the message and queues a run, in one round trip; one run per conversation at a time. */
export async function sendMessage(options: { ownerId: string; conversationId: string; text: string }) {
  const text = options.text.trim();
  if (text.length === 0) throw new AirlockError("request:invalid", "Type a message first.");
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new AirlockError(
      "request:invalid",
      `Messages are limited to ${MAX_MESSAGE_CHARS.toLocaleString("en")} characters.`,
    );
  }
  const conversation = await requireConversation(options.conversationId, options.ownerId);
  const modelId = conversation.modelId ?? defaultModelId();
  findModel(modelId);
  const id = randomUUID();
  try {
    await runInOneRoundTrip([
      ...queueRunStatements({
        id,
        conversationId: conversation.id,
        ownerId: options.ownerId,
        modelId,
        text,
        title: titleFrom(text),
      }),
      ...runTraceStatements({ runId: id, conversationId: conversation.id, userId: options.ownerId, modelId }),
      auditStatement({
        actorId: options.ownerId,
        action: "run.created",
        targetType: "run",
        targetId: id,
        data: { conversationId: conversation.id, modelId },
      }),
    ]);
  } catch (error) {
    const signal = databaseSignal(error);
    if (signal instanceof RunBusyError) {
      throw new AirlockError(
        "run:busy",
        "The agent is still working on the previous message. Wait for it or stop it first.",
      );
    }
    if (signal instanceof ConversationNotFoundError) {
      throw new AirlockError("conversation:not-found", "This conversation does not exist or is not yours.");
    }
    throw signal;
  }
  return { id };
}

/** The run, if the user owns its conversation. */
export async function requireOwnedRun(runId: string, userId: string) {
  const run = await findRun(runId);
  if (!run || run.userId !== userId)
    throw new AirlockError("run:not-found", "This run does not exist or is not yours.");
  return run;
}

export async function cancelRun(options: { runId: string; userId: string }) {
  await requireOwnedRun(options.runId, options.userId);
  return inTransaction(async (tx) => {
    const status = await requestRunCancel(options.runId, tx);
    await recordAuditEvent(tx, {
      actorId: options.userId,
      action: "run.cancel-requested",
      targetType: "run",
      targetId: options.runId,
      data: { status },
    });
    return { status };
  });
}
