/** Admin: the audit log — filtered, paginated, each event in full, and chain verification. */
import { z } from "zod";
import { auditVocabulary, listAuditLog } from "../../../audit/audit-log";
import { verifyAuditChain } from "../../../audit/record-audit-event";
import { int32, int64Cursor, storedDate, text } from "../../../shared/text";
import { adminProcedure, router } from "../../trpc";

const filter = text(200, { trim: true }).optional();

export const adminAuditRouter = router({
  list: adminProcedure
    .input(
      z.object({
        actor: filter,
        action: filter,
        targetType: filter,
        targetId: filter,
        from: storedDate.optional(),
        to: storedDate.optional(),
        cursor: int64Cursor.optional(),
        limit: int32(1, 100).default(25),
      }),
    )
    .output(
      z.object({
        events: z.array(
          z.object({
            id: z.string(),
            actor: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
            action: z.string(),
            targetType: z.string(),
            targetId: z.string().nullable(),
            data: z.unknown(),
            createdAt: z.date(),
            hash: z.string(),
            prevHash: z.string(),
          }),
        ),
        nextCursor: z.string().nullable(),
        total: z.number(),
      }),
    )
    .query(({ input }) => listAuditLog(input)),
  vocabulary: adminProcedure
    .output(z.object({ actions: z.array(z.string()), targetTypes: z.array(z.string()) }))
    .query(() => auditVocabulary()),
  verify: adminProcedure
    .output(
      z.union([
        z.object({ ok: z.literal(true), events: z.number() }),
        z.object({ ok: z.literal(false), events: z.number(), brokenAt: z.string(), reason: z.string() }),
      ]),
    )
    .mutation(() => verifyAuditChain()),
});
