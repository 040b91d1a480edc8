/** Admin: the audit log — filtered, paginated, each event in full, and chain verification. */
import { z } from "zod";
import { auditVocabulary, listAuditLog } from "../../../audit/audit-log";
import { verifyAuditChain } from "../../../audit/record-audit-event";
import { adminProcedure, router } from "../../trpc";

const text = z.string().trim().max(200).optional();

export const adminAuditRouter = router({
  list: adminProcedure
    .input(
      z.object({
        actor: text,
        action: text,
        targetType: text,
        targetId: text,
        from: z.date().optional(),
        to: z.date().optional(),
        cursor: z
          .string()
          .regex(/^\d{1,19}$/)
          .optional(),
        limit: z.number().int().min(1).max(100).default(25),
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
