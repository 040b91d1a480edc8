/**
 * The audit log: an append-only hash chain. Each event's hash covers the previous hash
 * and the canonical event, so any edit, deletion or reordering breaks verification.
 * Always written inside the caller's transaction, with the state change it records, as
 * that transaction's last statement (inTransaction appends it; see there why).
 */
import { createHash } from "node:crypto";
import { type AuditEventRow, type AuditRecord, GENESIS_HASH, readAuditEvents } from "../db/audit-events";
import { jsonb, sql } from "../db/sql-batch";
import { appendAuditAtCommit, type Transaction } from "../db/transaction";
import { canonicalJson } from "../shared/canonical-json";
import { redact } from "../telemetry/logger";

export interface AuditEventInput {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  data?: Record<string, unknown>;
}

function canonicalEvent(event: Omit<AuditEventRow, "id" | "hash" | "prevHash">): string {
  return canonicalJson({
    actorId: event.actorId,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    data: event.data,
    createdAt: event.createdAt.toISOString(),
  });
}

function hashEvent(prevHash: string, event: Omit<AuditEventRow, "id" | "hash" | "prevHash">): string {
  return createHash("sha256").update(prevHash).update(canonicalEvent(event)).digest("hex");
}

export function auditRecord(input: AuditEventInput): AuditRecord {
  // Milliseconds only: what Postgres keeps of a timestamp must hash the same on verify.
  const event = {
    actorId: input.actorId,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    data: (redact(input.data ?? {}) ?? {}) as AuditEventRow["data"],
    createdAt: new Date(Math.floor(Date.now())),
  };
  return { ...event, canonical: canonicalEvent(event) };
}

/**
 * The statement that appends one event (see prisma/functions/airlock_append_audits.sql:
 * it takes the chain lock, reads the head and hashes in the database, in one round trip),
 * for a batch sent as one round trip: it must be the batch's last statement, after every
 * row lock the batch takes (see inTransaction in server/db/transaction.ts for why).
 */
export function auditStatement(input: AuditEventInput): string {
  const record = auditRecord(input);
  return sql(
    `SELECT "airlock_append_audit"($1, $2, $3, $4, $5, $6, $7)`,
    record.actorId,
    record.action,
    record.targetType,
    record.targetId,
    jsonb(record.data ?? {}),
    record.createdAt,
    record.canonical,
  );
}

/** Records the event in the transaction: it is appended when the transaction's work is done. */
export async function recordAuditEvent(tx: Transaction, input: AuditEventInput): Promise<void> {
  appendAuditAtCommit(tx, auditRecord(input));
}

export type ChainVerification =
  | { ok: true; events: number }
  | { ok: false; events: number; brokenAt: string; reason: string };

export async function verifyAuditChain(): Promise<ChainVerification> {
  let prevHash = GENESIS_HASH;
  let afterId = 0n;
  let events = 0;
  for (;;) {
    const batch = await readAuditEvents(afterId, 1000);
    if (batch.length === 0) return { ok: true, events };
    for (const row of batch) {
      events++;
      if (row.prevHash !== prevHash) {
        return { ok: false, events, brokenAt: row.id.toString(), reason: "it does not link to the event before it" };
      }
      if (hashEvent(prevHash, row) !== row.hash) {
        return { ok: false, events, brokenAt: row.id.toString(), reason: "its content does not match its hash" };
      }
      prevHash = row.hash;
      afterId = row.id;
    }
  }
}
