import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabaseForTests } from "../db/client";
import { findFreePort } from "../db/embedded-postgres";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { authenticateWithPassword, SIGN_IN_ERROR, SignInRateLimitedError, signInErrorCode } from "./sign-in";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("password sign-in", () => {
  it("accepts the right password (email case-insensitive) and never returns the hash", async () => {
    const user = await createTestUser("REVIEWER", "right password");
    const signedIn = await authenticateWithPassword({ email: user.email.toUpperCase(), password: "right password" });
    expect(signedIn).toEqual({
      id: user.id,
      email: user.email,
      name: user.name,
      role: "REVIEWER",
      active: true,
      sessionVersion: 1,
    });
    expect(signedIn).not.toHaveProperty("passwordHash");
  });

  it("refuses a wrong password and an unknown email the same way, and audits both", async () => {
    const user = await createTestUser("USER", "right password");
    expect(await authenticateWithPassword({ email: user.email, password: "wrong" })).toBeNull();
    expect(await authenticateWithPassword({ email: "nobody@test.local", password: "wrong" })).toBeNull();
    const audited = await database.query<{ action: string }>(
      `SELECT action FROM "AuditEvent" WHERE action = 'user.sign-in-failed' AND data->>'email' IN ($1, 'nobody@test.local')`,
      [user.email],
    );
    expect(audited).toHaveLength(2);
  });

  it("refuses a deactivated user even with the right password", async () => {
    const user = await createTestUser("ADMIN", "right password");
    await database.query(`UPDATE "User" SET active = false WHERE id = $1`, [user.id]);
    expect(await authenticateWithPassword({ email: user.email, password: "right password" })).toBeNull();
  });

  it("rate-limits repeated failures per account, even for the right password", async () => {
    const user = await createTestUser("USER", "right password");
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(await authenticateWithPassword({ email: user.email, password: `guess ${attempt}` })).toBeNull();
    }
    await expect(authenticateWithPassword({ email: user.email, password: "right password" })).rejects.toBeInstanceOf(
      SignInRateLimitedError,
    );
    await expect(authenticateWithPassword({ email: user.email, password: "x" })).rejects.toThrow(
      /Try again in 1[45] minutes/,
    );
  });

  it("forgets failures after a successful sign-in", async () => {
    const user = await createTestUser("USER", "right password");
    for (let attempt = 0; attempt < 4; attempt++)
      await authenticateWithPassword({ email: user.email, password: "nope" });
    expect(await authenticateWithPassword({ email: user.email, password: "right password" })).not.toBeNull();
    for (let attempt = 0; attempt < 4; attempt++)
      await authenticateWithPassword({ email: user.email, password: "nope" });
    expect(await authenticateWithPassword({ email: user.email, password: "right password" })).not.toBeNull();
  });

  it("counts 30 truly parallel wrong passwords atomically: only the limit is checked against the password", async () => {
    const user = await createTestUser("USER", "right password");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, attempt) =>
        authenticateWithPassword({ email: user.email, password: `parallel guess ${attempt}` }),
      ),
    );
    const checked = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const throttled = outcomes.filter(
      (outcome) => outcome.status === "rejected" && outcome.reason instanceof SignInRateLimitedError,
    );
    expect(checked).toHaveLength(5);
    expect(throttled).toHaveLength(25);
    // Each password check leaves exactly one audit event; the throttled attempts never reached it.
    const audited = await database.query<{ action: string; count: string }>(
      `SELECT action, count(*)::text AS count FROM "AuditEvent" WHERE data->>'email' = $1 GROUP BY action`,
      [user.email],
    );
    expect(Object.fromEntries(audited.map((row) => [row.action, Number(row.count)]))).toEqual({
      "user.sign-in-failed": 5,
      "user.sign-in-throttled": 25,
    });
    await expect(authenticateWithPassword({ email: user.email, password: "right password" })).rejects.toBeInstanceOf(
      SignInRateLimitedError,
    );
  });
});

describe("what the sign-in page is told", () => {
  it("a code, not the driver's text, when the database cannot be reached; a general code for anything else", async () => {
    const deadPort = await findFreePort();
    await connectDatabaseForTests(`postgresql://airlock:secret@127.0.0.1:${deadPort}/airlock`);
    try {
      const thrown = await authenticateWithPassword({ email: "someone@example.com", password: "x" }).catch(
        (error: unknown) => error,
      );
      expect(thrown).toBeInstanceOf(Error);
      expect(signInErrorCode(thrown)).toBe(SIGN_IN_ERROR.databaseUnavailable);
    } finally {
      await connectDatabaseForTests(database.url);
    }
    expect(signInErrorCode(new Error(`relation "User" does not exist on 10.0.0.1`))).toBe(SIGN_IN_ERROR.failed);
    expect(signInErrorCode(new SignInRateLimitedError(3))).toBe(
      "Too many failed sign-ins for this account. Try again in 3 minutes.",
    );
  });
});
