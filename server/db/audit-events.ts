/**
 * AuditEvent rows. Appends are serialized by a transaction-scoped advisory lock so each
 * event links to exactly one predecessor; the database refuses UPDATE and DELETE.
 */

import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";

const AUDIT_CHAIN_LOCK = 7_306_110_001;

export const auditEventSelect = {
  id: true,
  actorId: true,
  action: true,
  targetType: true,
  targetId: true,
  data: true,
  prevHash: true,
  hash: true,
  createdAt: true,
} satisfies Prisma.AuditEventSelect;

export type AuditEventRow = Prisma.AuditEventGetPayload<{ select: typeof auditEventSelect }>;

/** Locks the chain for this transaction and returns the hash of its last event. */
export async function lockChainHead(tx: Transaction): Promise<string | null> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const last = await tx.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { hash: true } });
  return last?.hash ?? null;
}

export async function insertAuditEvent(
  tx: Transaction,
  row: Omit<AuditEventRow, "id" | "createdAt"> & { createdAt: Date },
): Promise<void> {
  await tx.auditEvent.create({ data: { ...row, data: row.data as Prisma.InputJsonValue }, select: { id: true } });
}

export async function readAuditEvents(afterId: bigint, limit: number): Promise<AuditEventRow[]> {
  return db().auditEvent.findMany({
    where: { id: { gt: afterId } },
    orderBy: { id: "asc" },
    take: limit,
    select: auditEventSelect,
  });
}
