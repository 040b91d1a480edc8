/**
 * The audit log as admins read it: filtered by actor, action, target and time, newest
 * first, one page at a time, each event with its actor's name and its place in the chain.
 * Values were redacted when the events were written; nothing here decrypts or reveals.
 */
import { listAuditVocabulary, queryAuditEvents } from "../db/audit-log";
import { findUserIdsMatching, findUserNames } from "../db/users";

export interface AuditLogFilter {
  /** Text in the actor's name or email; "system" matches events without an actor. */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** The id of the last event of the previous page. */
  cursor?: string;
  limit: number;
}

export async function listAuditLog(filter: AuditLogFilter) {
  const actorText = filter.actor?.trim();
  let actorIds: (string | null)[] | undefined;
  if (actorText) {
    actorIds = await findUserIdsMatching(actorText);
    if ("system".includes(actorText.toLowerCase())) actorIds.push(null);
  }
  const page = await queryAuditEvents({
    ...(actorIds ? { actorIds } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    ...(filter.targetType ? { targetType: filter.targetType } : {}),
    ...(filter.targetId?.trim() ? { targetId: filter.targetId.trim() } : {}),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
    ...(filter.cursor ? { beforeId: BigInt(filter.cursor) } : {}),
    limit: filter.limit,
  });
  const names = await findUserNames([
    ...new Set(page.rows.map((row) => row.actorId).filter((id): id is string => id !== null)),
  ]);
  const last = page.rows.at(-1);
  return {
    events: page.rows.map((row) => ({
      id: row.id.toString(),
      actor: row.actorId
        ? { id: row.actorId, name: names.get(row.actorId)?.name ?? null, email: names.get(row.actorId)?.email ?? null }
        : null,
      action: row.action,
      targetType: row.targetType,
      targetId: row.targetId,
      data: row.data,
      createdAt: row.createdAt,
      hash: row.hash,
      prevHash: row.prevHash,
    })),
    nextCursor: page.hasMore && last ? last.id.toString() : null,
    total: page.total,
  };
}

export function auditVocabulary() {
  return listAuditVocabulary();
}
