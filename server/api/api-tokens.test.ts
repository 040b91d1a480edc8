/**
 * The account page's token procedures: a user lists and revokes only their own tokens;
 * another user's token id answers exactly like one that does not exist; signed out is 401.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken } from "../auth/api-tokens";
import { createUser } from "../db/users";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

function createPasswordlessUser(email: string) {
  return createUser({ email, name: email, role: "USER", passwordHash: null });
}

async function answerOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe("apiTokens procedures", () => {
  it("one user cannot list or revoke another's tokens; the owner can", async () => {
    const alice = await createPasswordlessUser("alice@tokens.test");
    const bob = await createPasswordlessUser("bob@tokens.test");
    const asAlice = createCaller(createInnerContext({ userId: alice.id }));
    const asBob = createCaller(createInnerContext({ userId: bob.id }));

    const created = await asAlice.apiTokens.create({ name: "laptop", expiresInDays: 90 });
    expect(created.token).toMatch(/^alk_/);
    const listed = await asAlice.apiTokens.list();
    expect(listed.map((token) => token.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(await asBob.apiTokens.list()).toEqual([]);

    const strangers = await answerOf(asBob.apiTokens.revoke({ tokenId: created.id }));
    const nobodys = await answerOf(asBob.apiTokens.revoke({ tokenId: "cnotarealid00000000000000" }));
    expect(strangers).toBe("NOT_FOUND: No such API token.");
    expect(strangers).toBe(nobodys);
    expect((await authenticateApiToken(`Bearer ${created.token}`)).ok).toBe(true);

    const revoked = await asAlice.apiTokens.revoke({ tokenId: created.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
    expect(await authenticateApiToken(`Bearer ${created.token}`)).toMatchObject({ ok: false, reason: "revoked" });
  });

  it("signed out → UNAUTHORIZED; an expiry of 0 or 366 days and an empty name → BAD_REQUEST", async () => {
    const anonymous = createCaller(createInnerContext({ userId: null }));
    expect(await answerOf(anonymous.apiTokens.list())).toMatch(/^UNAUTHORIZED/);
    expect(await answerOf(anonymous.apiTokens.create({ name: "x", expiresInDays: 1 }))).toMatch(/^UNAUTHORIZED/);
    const carol = await createPasswordlessUser("carol@tokens.test");
    const asCarol = createCaller(createInnerContext({ userId: carol.id }));
    for (const input of [
      { name: "x", expiresInDays: 0 },
      { name: "x", expiresInDays: 366 },
      { name: "   ", expiresInDays: 30 },
    ]) {
      expect(await answerOf(asCarol.apiTokens.create(input))).toMatch(/^BAD_REQUEST/);
    }
    expect(await asCarol.apiTokens.list()).toEqual([]);
  });

  it("sign out everywhere ends sessions, not tokens (revoked one by one in the account page)", async () => {
    const dave = await createPasswordlessUser("dave@tokens.test");
    const asDave = createCaller(createInnerContext({ userId: dave.id }));
    const { token } = await asDave.apiTokens.create({ name: "server", expiresInDays: 1 });
    await asDave.me.signOutEverywhere();
    expect(await answerOf(asDave.apiTokens.list())).toMatch(/^UNAUTHORIZED/);
    expect((await authenticateApiToken(`Bearer ${token}`)).ok).toBe(true);
  });
});
