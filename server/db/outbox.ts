/**
 * OutboxMessage rows: every message send_message sends. The idempotency key is unique, and
 * the move to SENDING is conditional, so two executions of one call never both deliver.
 */
import { db } from "./client";
import type { OutboxStatus, Prisma } from "./generated/client";

export const outboxMessageSelect = {
  id: true,
  to: true,
  subject: true,
  body: true,
  status: true,
  deliveredVia: true,
  error: true,
  runId: true,
  toolCallId: true,
  requestedBy: true,
  idempotencyKey: true,
  createdAt: true,
  deliveredAt: true,
} satisfies Prisma.OutboxMessageSelect;

export type OutboxMessageRow = Prisma.OutboxMessageGetPayload<{ select: typeof outboxMessageSelect }>;

/** Inserts the message unless its key exists; returns the row either way. */
export async function insertOutboxMessage(input: {
  to: string;
  subject: string;
  body: string;
  runId: string | null;
  toolCallId: string | null;
  requestedBy: string | null;
  idempotencyKey: string;
  /** With no external transport the outbox row is the delivery. */
  deliveredNow: boolean;
}): Promise<{ row: OutboxMessageRow; inserted: boolean }> {
  const { deliveredNow, ...fields } = input;
  // skipDuplicates is ON CONFLICT DO NOTHING: a second execution keeps the first row.
  const { count } = await db().outboxMessage.createMany({
    data: [
      {
        ...fields,
        status: deliveredNow ? "DELIVERED" : "PENDING",
        deliveredVia: deliveredNow ? ["outbox"] : [],
        deliveredAt: deliveredNow ? new Date() : null,
      },
    ],
    skipDuplicates: true,
  });
  const row = await db().outboxMessage.findUniqueOrThrow({
    where: { idempotencyKey: input.idempotencyKey },
    select: outboxMessageSelect,
  });
  return { row, inserted: count === 1 };
}

/** PENDING → SENDING, for exactly one caller. */
export async function claimOutboxMessage(id: string): Promise<boolean> {
  const { count } = await db().outboxMessage.updateMany({
    where: { id, status: "PENDING" },
    data: { status: "SENDING" },
  });
  return count === 1;
}

export async function finishOutboxMessage(
  id: string,
  outcome: { status: Extract<OutboxStatus, "DELIVERED" | "FAILED">; deliveredVia: string[]; error?: string },
): Promise<OutboxMessageRow> {
  return db().outboxMessage.update({
    where: { id },
    data: {
      status: outcome.status,
      deliveredVia: outcome.deliveredVia,
      error: outcome.error ?? null,
      deliveredAt: outcome.status === "DELIVERED" ? new Date() : null,
    },
    select: outboxMessageSelect,
  });
}
