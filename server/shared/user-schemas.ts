/** Zod schemas for people: shared by the admin console's forms, the account page and the server. */
import { z } from "zod";
import { ROLES } from "./risk";

export const PASSWORD_MIN_LENGTH = 12;

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `At least ${PASSWORD_MIN_LENGTH} characters`)
  .max(200, "At most 200 characters");

export const emailSchema = z.email({ error: "Enter an email address such as name@example.com" }).max(320);

export const personNameSchema = z.string().trim().min(1, "Enter a name").max(120, "At most 120 characters");

export const roleSchema = z.enum(ROLES);

export const inviteUserSchema = z.object({
  email: emailSchema,
  name: personNameSchema,
  role: roleSchema,
  temporaryPassword: passwordSchema,
});

export type InviteUserInput = z.infer<typeof inviteUserSchema>;

export const changeOwnPasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "Enter your current password").max(1024),
    newPassword: passwordSchema,
    confirmPassword: z.string(),
  })
  .refine((value) => value.newPassword === value.confirmPassword, {
    path: ["confirmPassword"],
    message: "The two new passwords differ",
  });

/** Higher means more power: who may raise whom. */
export const ROLE_RANK = { USER: 0, REVIEWER: 1, ADMIN: 2 } as const satisfies Record<(typeof ROLES)[number], number>;
