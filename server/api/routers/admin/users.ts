/** Admin: people — list, search, invite, change role, deactivate, reset password. */
import { z } from "zod";
import { changeUserRole, inviteUser, listUsers, resetUserPassword, setUserActive } from "../../../auth/user-admin";
import { int32, recordId, text } from "../../../shared/text";
import { inviteUserSchema, passwordSchema, roleSchema } from "../../../shared/user-schemas";
import { adminProcedure, router } from "../../trpc";

const userId = recordId;
const expectedVersion = int32(1);

const adminUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  active: z.boolean(),
  passwordTemporary: z.boolean(),
  version: z.number(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const adminUsersRouter = router({
  list: adminProcedure
    .input(
      z
        .object({
          search: text(200).optional(),
          role: roleSchema.optional(),
          status: z.enum(["all", "active", "inactive"]).default("all"),
          page: int32(1, 10_000).default(1),
          pageSize: int32(1, 100).default(25),
        })
        .default({ status: "all", page: 1, pageSize: 25 }),
    )
    .output(z.object({ users: z.array(adminUser), total: z.number(), activeAdmins: z.number() }))
    .query(({ input }) =>
      listUsers({
        ...(input.search ? { search: input.search } : {}),
        ...(input.role ? { role: input.role } : {}),
        ...(input.status === "all" ? {} : { active: input.status === "active" }),
        offset: (input.page - 1) * input.pageSize,
        limit: input.pageSize,
      }),
    ),
  create: adminProcedure
    .input(inviteUserSchema)
    .output(adminUser)
    .mutation(({ ctx, input }) => inviteUser({ ...input, actorId: ctx.user.id })),
  changeRole: adminProcedure
    .input(z.object({ userId, role: roleSchema, expectedVersion }))
    .output(adminUser)
    .mutation(({ ctx, input }) => changeUserRole({ ...input, actorId: ctx.user.id })),
  setActive: adminProcedure
    .input(z.object({ userId, active: z.boolean(), expectedVersion }))
    .output(adminUser)
    .mutation(({ ctx, input }) => setUserActive({ ...input, actorId: ctx.user.id })),
  resetPassword: adminProcedure
    .input(z.object({ userId, temporaryPassword: passwordSchema, expectedVersion }))
    .output(adminUser)
    .mutation(({ ctx, input }) => resetUserPassword({ ...input, actorId: ctx.user.id })),
});
