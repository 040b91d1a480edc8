/** Conversation rows and their transcripts, always scoped to an owner. */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";

/**
 * The title of a conversation before its first message names it; airlock_queue_run
 * replaces only this title (the sql-constants test holds the two to each other).
 */
export const UNTITLED_CONVERSATION = "New conversation";

export const conversationSummarySelect = {
  id: true,
  title: true,
  modelId: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ConversationSelect;

export type ConversationSummary = Prisma.ConversationGetPayload<{ select: typeof conversationSummarySelect }>;

export function listConversations(ownerId: string): Promise<ConversationSummary[]> {
  return db().conversation.findMany({
    where: { ownerId },
    orderBy: { updatedAt: "desc" },
    take: 200,
    select: conversationSummarySelect,
  });
}

export function createConversation(input: {
  ownerId: string;
  title: string;
  modelId: string;
}): Promise<ConversationSummary> {
  return db().conversation.create({ data: input, select: conversationSummarySelect });
}

export function findOwnedConversation(
  id: string,
  ownerId: string,
  tx: Transaction = db(),
): Promise<ConversationSummary | null> {
  return tx.conversation.findFirst({ where: { id, ownerId }, select: conversationSummarySelect });
}

export async function updateConversation(
  id: string,
  ownerId: string,
  data: { title?: string; modelId?: string },
  tx: Transaction = db(),
): Promise<boolean> {
  const result = await tx.conversation.updateMany({ where: { id, ownerId }, data: { ...data, updatedAt: new Date() } });
  return result.count === 1;
}

export async function deleteConversation(id: string, ownerId: string): Promise<boolean> {
  const result = await db().conversation.deleteMany({ where: { id, ownerId } });
  return result.count === 1;
}

export function readTranscript(conversationId: string) {
  return Promise.all([
    db().message.findMany({
      where: { conversationId },
      orderBy: { id: "asc" },
      select: { id: true, runId: true, stepIndex: true, role: true, parts: true, createdAt: true },
    }),
    db().toolCall.findMany({
      where: { run: { conversationId } },
      orderBy: [{ createdAt: "asc" }, { position: "asc" }],
      select: {
        id: true,
        runId: true,
        modelCallId: true,
        toolName: true,
        status: true,
        riskClass: true,
        error: true,
        result: true,
        approvals: {
          orderBy: { createdAt: "desc" },
          take: 1,
          select: { id: true, status: true, requiredApprovals: true },
        },
      },
    }),
    db().run.findMany({
      where: { conversationId },
      orderBy: { createdAt: "asc" },
      select: { id: true, status: true, error: true, modelId: true, lastEventSeq: true, createdAt: true },
    }),
  ]);
}

/** The last messages of a conversation up to and including a run, for a reviewer's context. */
export async function readConversationContext(conversationId: string, runId: string, limit: number) {
  const lastOfRun = await db().message.findFirst({
    where: { conversationId, runId },
    orderBy: { id: "desc" },
    select: { id: true },
  });
  const messages = await db().message.findMany({
    where: { conversationId, ...(lastOfRun ? { id: { lte: lastOfRun.id } } : {}) },
    orderBy: { id: "desc" },
    take: limit,
    select: { id: true, role: true, parts: true, runId: true },
  });
  const toolCalls = await db().toolCall.findMany({
    where: { run: { conversationId } },
    select: { modelCallId: true, riskClass: true },
  });
  return { messages: messages.reverse(), toolCalls };
}
