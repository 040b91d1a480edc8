/** Zod schemas for people: shared by the admin console's forms, the account page and the server. */
import { z } from "zod";
import { ROLES } from "./risk";
import { storableTextCheck, text } from "./text";

export const PASSWORD_MIN_LENGTH = 12;

export const passwordSchema = text(200).min(PASSWORD_MIN_LENGTH, `At least ${PASSWORD_MIN_LENGTH} characters`);

export const emailSchema = z
  .email({ error: "Enter an email address such as name@example.com" })
  .check(storableTextCheck)
  .max(320);

export const personNameSchema = text(120, { trim: true }).min(1, "Enter a name");

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
    currentPassword: text(1024).min(1, "Enter your current password"),
    newPassword: passwordSchema,
    confirmPassword: text(200),
  })
  .refine((value) => value.newPassword === value.confirmPassword, {
    path: ["confirmPassword"],
    message: "The two new passwords differ",
  });

/** How a user's pages are drawn (Prisma's Theme enum); SYSTEM follows the device's prefers-color-scheme. */
export const THEMES = ["SYSTEM", "LIGHT", "DARK"] as const;
export type ThemeChoice = (typeof THEMES)[number];

export const setThemeSchema = z.object({ theme: z.enum(THEMES) });

/** Higher means more power: who may raise whom. */
export const ROLE_RANK = { USER: 0, REVIEWER: 1, ADMIN: 2 } as const satisfies Record<(typeof ROLES)[number], number>;
