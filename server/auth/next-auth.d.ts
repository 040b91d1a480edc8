import type { DefaultSession } from "next-auth";

declare module "next-auth" {
  interface Session {
    user: DefaultSession["user"] & { id: string; role: "USER" | "REVIEWER" | "ADMIN"; sessionVersion?: number };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    userId?: string;
    role?: "USER" | "REVIEWER" | "ADMIN";
    /** The user's sessionVersion at sign-in; a token with an older one is signed out. */
    sessionVersion?: number;
  }
}
