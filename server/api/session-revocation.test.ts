/**
 * Sessions are revocable (DESIGN.md invariant 10): a password change, an admin's reset, a
 * role change, deactivation and "sign out everywhere" end the sessions that existed before,
 * at once, and leave other users' sessions alone. A session here is what a real sign-in
 * puts in the token: authenticateWithPassword → next-auth's jwt and session callbacks →
 * the claim createContext reads; each procedure is then called with that claim.
 */
import { TRPCError } from "@trpc/server";
import type { Account, Session, User } from "next-auth";
import { decode, encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authOptions } from "../auth/options";
import { renewOwnSession } from "../auth/session";
import type { SessionClaim } from "../auth/session-check";
import { authenticateWithPassword } from "../auth/sign-in";
import { resetEnvForTests } from "../env";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

const PASSWORD = "correct horse battery";
const SECRET = "a-test-secret-that-is-at-least-32-characters-long";
let database: TestDatabase;

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET = SECRET;
  resetEnvForTests();
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

/** Signs in with the password and returns the claim next-auth's callbacks put in the session. */
async function signIn(email: string, password = PASSWORD): Promise<SessionClaim> {
  const user = await authenticateWithPassword({ email, password });
  if (!user) throw new Error(`sign-in failed for ${email}`);
  const callbacks = authOptions().callbacks;
  if (!callbacks?.jwt || !callbacks.session) throw new Error("next-auth callbacks missing");
  const account = { type: "credentials", provider: "credentials", providerAccountId: user.id } as Account;
  const token = await callbacks.jwt({ token: {}, user: { ...user } as unknown as User, account });
  const session = (await callbacks.session({
    session: { user: {}, expires: "" } as Session,
    token,
    user: undefined as never,
    newSession: undefined,
    trigger: "update",
  })) as Session;
  if (typeof session.user.sessionVersion !== "number") throw new Error("no session version in the session");
  return { userId: session.user.id, sessionVersion: session.user.sessionVersion };
}

function callerFor(claim: SessionClaim, renewSession?: (version: number) => Promise<void>) {
  return createCaller(createInnerContext({ ...claim, ...(renewSession ? { renewSession } : {}) }));
}

async function answerOf(claim: SessionClaim): Promise<string> {
  try {
    await callerFor(claim).conversation.list();
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

async function versionOf(userId: string): Promise<number> {
  const [row] = await database.query<{ version: number }>(`SELECT version FROM "User" WHERE id = $1`, [userId]);
  return row?.version ?? -1;
}

async function adminCaller() {
  const admin = await createTestUser("ADMIN");
  return callerFor(await signIn(admin.email));
}

describe("session revocation", () => {
  it("a session from sign-in works; one without a session version (issued before versions) is signed out", async () => {
    const user = await createTestUser("USER");
    const claim = await signIn(user.email);
    expect(await answerOf(claim)).toBe("OK");
    expect(await answerOf({ userId: user.id, sessionVersion: 0 })).toBe("UNAUTHORIZED");
  });

  it("changing one's password ends the other sessions and renews the one that changed it", async () => {
    const [user, bystander] = await Promise.all([createTestUser("USER"), createTestUser("USER")]);
    const [laptop, phone, other] = await Promise.all([signIn(user.email), signIn(user.email), signIn(bystander.email)]);
    let renewedTo: number | undefined;
    await callerFor(laptop, async (version) => {
      renewedTo = version;
    }).me.changePassword({
      currentPassword: PASSWORD,
      newPassword: "a brand new password",
      confirmPassword: "a brand new password",
    });
    expect(await answerOf(phone)).toBe("UNAUTHORIZED");
    expect(await answerOf(laptop)).toBe("UNAUTHORIZED");
    expect(renewedTo).toBe(laptop.sessionVersion + 1);
    expect(await answerOf({ userId: user.id, sessionVersion: renewedTo ?? -1 })).toBe("OK");
    expect(await callerFor(phone).me.get()).toBeNull();
    expect(await answerOf(other)).toBe("OK");
  });

  it("an admin's password reset ends the user's sessions", async () => {
    const [admin, user, bystander] = await Promise.all([adminCaller(), createTestUser("USER"), createTestUser("USER")]);
    const [session, other] = await Promise.all([signIn(user.email), signIn(bystander.email)]);
    await admin.admin.users.resetPassword({
      userId: user.id,
      temporaryPassword: "temporary-password-9",
      expectedVersion: await versionOf(user.id),
    });
    expect(await answerOf(session)).toBe("UNAUTHORIZED");
    expect(await answerOf(other)).toBe("OK");
    expect(await answerOf(await signIn(user.email, "temporary-password-9"))).toBe("OK");
  });

  it("a role change ends the user's sessions, promotion as well as demotion", async () => {
    const [admin, promoted, demoted, bystander] = await Promise.all([
      adminCaller(),
      createTestUser("USER"),
      createTestUser("REVIEWER"),
      createTestUser("REVIEWER"),
    ]);
    const [promotedSession, demotedSession, other] = await Promise.all([
      signIn(promoted.email),
      signIn(demoted.email),
      signIn(bystander.email),
    ]);
    await admin.admin.users.changeRole({ userId: promoted.id, role: "REVIEWER", expectedVersion: 1 });
    await admin.admin.users.changeRole({ userId: demoted.id, role: "USER", expectedVersion: 1 });
    expect(await answerOf(promotedSession)).toBe("UNAUTHORIZED");
    expect(await answerOf(demotedSession)).toBe("UNAUTHORIZED");
    expect(await answerOf(other)).toBe("OK");
  });

  it("deactivation ends the user's sessions, and reactivation does not bring them back", async () => {
    const [admin, user] = await Promise.all([adminCaller(), createTestUser("USER")]);
    const session = await signIn(user.email);
    await admin.admin.users.setActive({ userId: user.id, active: false, expectedVersion: 1 });
    expect(await answerOf(session)).toBe("UNAUTHORIZED");
    await admin.admin.users.setActive({ userId: user.id, active: true, expectedVersion: 2 });
    expect(await answerOf(session)).toBe("UNAUTHORIZED");
    expect(await answerOf(await signIn(user.email))).toBe("OK");
  });

  it("sign out everywhere ends every session of the caller, this one included, and no one else's", async () => {
    const [user, bystander] = await Promise.all([createTestUser("REVIEWER"), createTestUser("REVIEWER")]);
    const [here, there, other] = await Promise.all([signIn(user.email), signIn(user.email), signIn(bystander.email)]);
    await callerFor(here).me.signOutEverywhere();
    expect(await answerOf(here)).toBe("UNAUTHORIZED");
    expect(await answerOf(there)).toBe("UNAUTHORIZED");
    expect(await answerOf(other)).toBe("OK");
    const [audited] = await database.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM "AuditEvent" WHERE action = 'user.signed-out-everywhere' AND "actorId" = $1`,
      [user.id],
    );
    expect(audited?.count).toBe("1");
  });

  it("open streams end with UNAUTHORIZED the moment the session ends, on another session's action", async () => {
    const [reviewer, bystander] = await Promise.all([createTestUser("REVIEWER"), createTestUser("REVIEWER")]);
    const [streaming, acting, other] = await Promise.all([
      signIn(reviewer.email),
      signIn(reviewer.email),
      signIn(bystander.email),
    ]);
    const conversation = await createTestConversation(reviewer.id);
    const runId = await sendTestMessage(reviewer.id, conversation.id, "hello");
    const inbox = (await callerFor(streaming).approvals.watch())[Symbol.asyncIterator]();
    const events = (await callerFor(streaming).chat.events({ runId }))[Symbol.asyncIterator]();
    const othersInbox = (await callerFor(other).approvals.watch())[Symbol.asyncIterator]();
    expect((await inbox.next()).done).toBe(false);
    expect((await events.next()).done).toBe(false);
    expect((await othersInbox.next()).done).toBe(false);

    const inboxNext = inbox.next();
    const eventsNext = events.next();
    await callerFor(acting).me.signOutEverywhere();
    await expect(inboxNext).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(eventsNext).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // The other reviewer's stream is still open: it hears the next change to the inbox.
    const othersNext = othersInbox.next();
    await database.query(`SELECT pg_notify('airlock_approvals', 'x')`);
    expect((await othersNext).done).toBe(false);
    await othersInbox.return?.();
  });

  it("renewing the own session re-encrypts the request's token with the new version, keeping the rest", async () => {
    const token = await encode({ token: { userId: "someone", role: "USER", sessionVersion: 3 }, secret: SECRET });
    const request = new Request("http://localhost/api/trpc/me.changePassword", {
      method: "POST",
      headers: { cookie: `other=1; next-auth.session-token=${token}` },
    });
    const responseHeaders = new Headers();
    await renewOwnSession({ request, responseHeaders, sessionVersion: 4 });
    const cookie = responseHeaders.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^next-auth\.session-token=[^;]+; Path=\/; Expires=.+; HttpOnly; SameSite=Lax$/);
    const renewed = await decode({ token: cookie.split(";")[0]?.split("=")[1] ?? "", secret: SECRET });
    expect(renewed).toMatchObject({ userId: "someone", role: "USER", sessionVersion: 4 });
  });
});
