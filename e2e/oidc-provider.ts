/**
 * A real OpenID Provider for the end-to-end tests: `oidc-provider` (a certified
 * implementation), on a loopback port, with one confidential client registered for
 * Airlock's callback. Its development login page accepts any login; the login becomes the
 * subject, and the e-mail is `<login>@sso.test`.
 */
import type { Server } from "node:http";
import Provider from "oidc-provider";

export const OIDC_CLIENT_ID = "airlock-e2e";
export const OIDC_CLIENT_SECRET = "airlock-e2e-client-secret-not-for-production";

/** The provider's port: the app's e2e port + 1000, so parallel checkouts on their own ports do not collide. */
export function oidcIssuer(appPort: number): string {
  return `http://127.0.0.1:${appPort + 1000}`;
}

export function emailFor(login: string): string {
  return `${login}@sso.test`;
}

export async function startOidcProvider(appBaseUrl: string, appPort: number): Promise<{ stop: () => Promise<void> }> {
  const issuer = oidcIssuer(appPort);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: OIDC_CLIENT_ID,
        client_secret: OIDC_CLIENT_SECRET,
        redirect_uris: [`${appBaseUrl}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    async findAccount(_context, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, email: emailFor(sub), email_verified: true, name: `SSO ${sub}` };
        },
      };
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // next-auth reads the profile from the ID token: put the scope's claims there too.
    conformIdTokenClaims: false,
    cookies: { keys: ["airlock-e2e-oidc-cookie-key"] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
  });
  const server: Server = await new Promise((resolve) => {
    const listening = provider.listen(appPort + 1000, "127.0.0.1", () => resolve(listening));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
