/**
 * Reading the audit log for the admin viewer: filters and newest-first keyset pages.
 * (Appending and verification live in audit-events.ts and server/audit.)
 */
import { type AuditEventRow, auditEventSelect } from "./audit-events";
import { db } from "./client";
import type { Prisma } from "./generated/client";

export interface AuditEventQuery {
  /** null: events with no actor (the system); undefined: anyone. */
  actorIds?: (string | null)[];
  /** An exact action, or a prefix ending in "." (e.g. "policy."). */
  action?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  /** Keyset pagination, newest first: events with a smaller id than this. */
  beforeId?: bigint;
  limit: number;
}

function auditWhere(query: AuditEventQuery): Prisma.AuditEventWhereInput {
  const actorIds = query.actorIds?.filter((id): id is string => id !== null);
  const includesSystem = query.actorIds?.includes(null) ?? false;
  return {
    ...(query.actorIds
      ? {
          OR: [
            ...(actorIds && actorIds.length > 0 ? [{ actorId: { in: actorIds } }] : []),
            ...(includesSystem ? [{ actorId: null }] : []),
            // An empty list matches nothing rather than everything.
            { id: { in: [] } },
          ],
        }
      : {}),
    ...(query.action
      ? query.action.endsWith(".")
        ? { action: { startsWith: query.action } }
        : { action: query.action }
      : {}),
    ...(query.targetType ? { targetType: query.targetType } : {}),
    ...(query.targetId ? { targetId: { contains: query.targetId, mode: "insensitive" } } : {}),
    ...(query.from || query.to
      ? { createdAt: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) } }
      : {}),
  };
}

/** One page, newest first, plus whether an older page exists and how many events match. */
export async function queryAuditEvents(
  query: AuditEventQuery,
): Promise<{ rows: AuditEventRow[]; hasMore: boolean; total: number }> {
  const where = auditWhere(query);
  const [rows, total] = await Promise.all([
    db().auditEvent.findMany({
      where: query.beforeId !== undefined ? { AND: [where, { id: { lt: query.beforeId } }] } : where,
      orderBy: { id: "desc" },
      take: query.limit + 1,
      select: auditEventSelect,
    }),
    db().auditEvent.count({ where }),
  ]);
  return { rows: rows.slice(0, query.limit), hasMore: rows.length > query.limit, total };
}

/** The actions and target types that occur, for the viewer's filters. */
export async function listAuditVocabulary(): Promise<{ actions: string[]; targetTypes: string[] }> {
  const [actions, targetTypes] = await Promise.all([
    db().auditEvent.findMany({ distinct: ["action"], orderBy: { action: "asc" }, select: { action: true } }),
    db().auditEvent.findMany({
      distinct: ["targetType"],
      orderBy: { targetType: "asc" },
      select: { targetType: true },
    }),
  ]);
  return { actions: actions.map((row) => row.action), targetTypes: targetTypes.map((row) => row.targetType) };
}
