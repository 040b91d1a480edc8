/**
 * AuditEvent rows, read for verification. Appends go through airlock_append_audits
 * (prisma/functions/), which serializes them so each event links to exactly one
 * predecessor; the database refuses UPDATE and DELETE (airlock_audit_append_only).
 */

import { db } from "./client";
import type { Prisma } from "./generated/client";

/**
 * The transaction-scoped advisory lock that serializes appenders to the chain. The SQL
 * functions spell the number out (PL/pgSQL cannot import it); the sql-constants test
 * holds every pg_advisory_xact_lock in prisma/functions/ to this value.
 */
export const AUDIT_CHAIN_LOCK_KEY = 7306110001n;

/** The prevHash of the first event; the functions start the chain at repeat('0', 64). */
export const GENESIS_HASH = "0".repeat(64);

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
