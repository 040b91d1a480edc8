/**
 * next-auth configuration: credentials (argon2) plus OIDC and GitHub when configured.
 * Sessions are JWTs; the role in the token is only a hint for the UI — every procedure
 * reads the user's current role and active flag from the database.
 */
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import type { Provider } from "next-auth/providers/index";
import { linkExternalAccount } from "../db/users";
import { env } from "../env";
import { logger } from "../telemetry/logger";
import { checkSession } from "./session-check";
import { authenticateWithPassword, signInErrorCode } from "./sign-in";

function providers(): Provider[] {
  const config = env();
  const list: Provider[] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials) {
        const email = credentials?.email;
        const password = credentials?.password;
        if (typeof email !== "string" || typeof password !== "string" || email.length > 320 || password.length > 1024) {
          return null;
        }
        try {
          const user = await authenticateWithPassword({ email, password });
          return user
            ? { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion }
            : null;
        } catch (error) {
          // next-auth passes a thrown message to the sign-in page as `error`, in its URL:
          // only our own words and codes go there, never a driver's text.
          throw new Error(signInErrorCode(error));
        }
      },
    }),
  ];
  if (config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET) {
    list.push({
      id: "oidc",
      name: config.OIDC_NAME,
      type: "oauth",
      wellKnown: `${config.OIDC_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`,
      clientId: config.OIDC_CLIENT_ID,
      clientSecret: config.OIDC_CLIENT_SECRET,
      authorization: { params: { scope: "openid email profile" } },
      idToken: true,
      checks: ["pkce", "state"],
      profile(profile: { sub: string; email?: string; name?: string; preferred_username?: string }) {
        return {
          id: profile.sub,
          email: profile.email ?? null,
          name: profile.name ?? profile.preferred_username ?? profile.email ?? profile.sub,
        };
      },
    });
  }
  if (config.GITHUB_ID && config.GITHUB_SECRET) {
    list.push(GitHubProvider({ clientId: config.GITHUB_ID, clientSecret: config.GITHUB_SECRET }));
  }
  return list;
}

export function configuredProviders(): { id: string; name: string }[] {
  return providers()
    .filter((provider) => provider.id !== "credentials")
    .map((provider) => ({ id: provider.id, name: provider.name }));
}

/** How long a session token lives at most; revocation (see session.ts) can end it sooner. */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

let cached: NextAuthOptions | undefined;

export function authOptions(): NextAuthOptions {
  cached ??= {
    secret: env().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    pages: { signIn: "/signin" },
    providers: providers(),
    // next-auth's own messages go through our logger, by code: its metadata can carry a
    // provider's whole response, so only the message is kept. A refused token (revoked, say) is routine.
    logger: {
      error(code, metadata) {
        const message = metadata instanceof Error ? metadata.message : (metadata as { message?: unknown })?.message;
        if (code === "JWT_SESSION_ERROR")
          logger.info("next-auth refused a session token (revoked, or not one of ours)", { code });
        else logger.error("next-auth error", { code, message: typeof message === "string" ? message : undefined });
      },
      warn(code) {
        logger.warn("next-auth warning", { code });
      },
      debug() {},
    },
    callbacks: {
      async signIn({ user, account }) {
        if (!account || account.type === "credentials") return true;
        if (!user.email) return "/signin?error=NoEmail";
        const linked = await linkExternalAccount({
          provider: account.provider,
          providerAccountId: account.providerAccountId,
          email: user.email.toLowerCase(),
          name: user.name ?? user.email,
        });
        return linked.active ? true : "/signin?error=Inactive";
      },
      async jwt({ token, user, account }) {
        if (user && account) {
          if (account.type === "credentials") {
            const signedIn = user as { role?: "USER" | "REVIEWER" | "ADMIN"; sessionVersion?: number };
            token.userId = user.id;
            token.role = signedIn.role ?? "USER";
            token.sessionVersion = signedIn.sessionVersion;
          } else if (user.email) {
            const linked = await linkExternalAccount({
              provider: account.provider,
              providerAccountId: account.providerAccountId,
              email: user.email.toLowerCase(),
              name: user.name ?? user.email,
            });
            token.userId = linked.id;
            token.role = linked.role;
            token.sessionVersion = linked.sessionVersion;
          }
        } else if (token.userId && (await isRevoked({ userId: token.userId, sessionVersion: token.sessionVersion }))) {
          // next-auth then answers its own /api/auth/session as signed out and clears the cookie.
          throw new Error("The session was ended (password change, reset, role change or sign out everywhere).");
        }
        return token;
      },
      async session({ session, token }) {
        if (token.userId) {
          session.user = {
            ...session.user,
            id: token.userId,
            role: token.role ?? "USER",
            ...(token.sessionVersion !== undefined ? { sessionVersion: token.sessionVersion } : {}),
          };
        }
        return session;
      },
    },
  };
  return cached;
}

/**
 * A token older than its user's session version is revoked. A database error is not a
 * revocation: every procedure and page checks the session again against the database.
 */
async function isRevoked(claim: { userId: string; sessionVersion: number | undefined }): Promise<boolean> {
  const check = await checkSession(claim).catch(() => null);
  return check?.status === "signed-out";
}
