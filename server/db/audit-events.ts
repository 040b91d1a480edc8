/**
 * AuditEvent rows, read for verification. Appends go through the airlock_append_audit
 * function (see the migrations), which serializes them so each event links to exactly one
 * predecessor; the database refuses UPDATE and DELETE.
 */

import { db } from "./client";
import type { Prisma } from "./generated/client";

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

/** An event ready to append: redacted data, a millisecond timestamp and the canonical text to hash. */
export interface AuditRecord {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  data: AuditEventRow["data"];
  createdAt: Date;
  canonical: string;
}

export async function readAuditEvents(afterId: bigint, limit: number): Promise<AuditEventRow[]> {
  return db().auditEvent.findMany({
    where: { id: { gt: afterId } },
    orderBy: { id: "asc" },
    take: limit,
    select: auditEventSelect,
  });
}
