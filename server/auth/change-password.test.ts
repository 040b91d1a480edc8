/**
 * The password change checks the current password behind the same throttle as sign-in,
 * with its own budget per account: a stolen session cannot guess the password without
 * limit, and failed guesses there do not lock the owner out of signing in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirlockError } from "../errors";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { changeOwnPassword } from "./change-password";
import { authenticateWithPassword } from "./sign-in";

const PASSWORD = "correct horse battery";
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

function codeOf(outcome: PromiseSettledResult<unknown>): string {
  if (outcome.status === "fulfilled") return "OK";
  if (outcome.reason instanceof AirlockError) return outcome.reason.code;
  throw outcome.reason;
}

describe("password change throttle", () => {
  it("30 parallel wrong current passwords: only the limit is checked, then even the right one waits", async () => {
    const user = await createTestUser("USER", PASSWORD);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, attempt) =>
        changeOwnPassword({ userId: user.id, currentPassword: `guess ${attempt}`, newPassword: "a new password 1" }),
      ),
    );
    const codes = outcomes.map(codeOf);
    expect(codes.filter((code) => code === "user:wrong-password")).toHaveLength(5);
    expect(codes.filter((code) => code === "auth:rate-limited")).toHaveLength(25);
    const right = await Promise.allSettled([
      changeOwnPassword({ userId: user.id, currentPassword: PASSWORD, newPassword: "a new password 1" }),
    ]);
    expect(right.map(codeOf)).toEqual(["auth:rate-limited"]);
    expect(right[0]?.status === "rejected" && String(right[0].reason.message)).toMatch(
      /Too many wrong current passwords\. Try again in 1[45] minutes\./,
    );
    const audited = await database.query<{ action: string; count: string }>(
      `SELECT action, count(*)::text AS count FROM "AuditEvent" WHERE "targetId" = $1 GROUP BY action ORDER BY action`,
      [user.id],
    );
    expect(audited).toEqual([
      { action: "user.password-change-failed", count: "5" },
      { action: "user.password-change-throttled", count: "26" },
    ]);
    // Its own budget: signing in still works, and the password is unchanged.
    expect(await authenticateWithPassword({ email: user.email, password: PASSWORD })).not.toBeNull();
  });

  it("failed sign-ins do not use up the password change's budget; a right password forgets the failures", async () => {
    const user = await createTestUser("USER", PASSWORD);
    for (let attempt = 0; attempt < 5; attempt++) {
      await authenticateWithPassword({ email: user.email, password: `wrong ${attempt}` });
    }
    for (let attempt = 0; attempt < 4; attempt++) {
      await expect(
        changeOwnPassword({ userId: user.id, currentPassword: "nope", newPassword: "a new password 2" }),
      ).rejects.toMatchObject({ code: "user:wrong-password" });
    }
    await changeOwnPassword({ userId: user.id, currentPassword: PASSWORD, newPassword: "a new password 2" });
    for (let attempt = 0; attempt < 4; attempt++) {
      await expect(
        changeOwnPassword({ userId: user.id, currentPassword: "nope", newPassword: "a new password 3" }),
      ).rejects.toMatchObject({ code: "user:wrong-password" });
    }
    await changeOwnPassword({ userId: user.id, currentPassword: "a new password 2", newPassword: "a new password 3" });
  });
});
