/**
 * The audit log: an append-only hash chain. Each event's hash covers the previous hash
 * and the canonical event, so any edit, deletion or reordering breaks verification.
 * Always written inside the caller's transaction, with the state change it records.
 */
import { createHash } from "node:crypto";
import { type AuditEventRow, insertAuditEvent, lockChainHead, readAuditEvents } from "../db/audit-events";
import type { Transaction } from "../db/transaction";
import { canonicalJson } from "../shared/canonical-json";
import { redact } from "../telemetry/logger";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditEventInput {
  actorId: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  data?: Record<string, unknown>;
}

function hashEvent(prevHash: string, event: Omit<AuditEventRow, "id" | "hash" | "prevHash">): string {
  return createHash("sha256")
    .update(prevHash)
    .update(
      canonicalJson({
        actorId: event.actorId,
        action: event.action,
        targetType: event.targetType,
        targetId: event.targetId,
        data: event.data,
        createdAt: event.createdAt.toISOString(),
      }),
    )
    .digest("hex");
}

export async function recordAuditEvent(tx: Transaction, input: AuditEventInput): Promise<void> {
  const prevHash = (await lockChainHead(tx)) ?? GENESIS_HASH;
  // Milliseconds only: what Postgres keeps of a timestamp must hash the same on verify.
  const event = {
    actorId: input.actorId,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    data: (redact(input.data ?? {}) ?? {}) as AuditEventRow["data"],
    createdAt: new Date(Math.floor(Date.now())),
  };
  await insertAuditEvent(tx, { ...event, prevHash, hash: hashEvent(prevHash, event) });
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
