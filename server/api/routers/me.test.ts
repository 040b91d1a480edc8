/**
 * The signed-in user's theme (issue 16: "remembered per user"): stored on their row, so a
 * new browser or device gets it from me.get at first paint; nobody else's changes; the
 * spellings a client might send besides the three values are refused; changing it ends
 * no session and leaves the admin console's optimistic version alone.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../testing/database";
import { createTestUser } from "../../testing/fixtures";
import { createCaller } from "../root";
import { createInnerContext } from "../trpc";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

function callerFor(userId: string | null) {
  return createCaller(createInnerContext({ userId }));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "OK";
  } catch (error) {
    return error instanceof TRPCError ? error.code : String(error);
  }
}

async function rowOf(userId: string) {
  const [row] = await database.query<{ theme: string; version: number; sessionVersion: number }>(
    `SELECT theme::text AS theme, version, "sessionVersion" FROM "User" WHERE id = $1`,
    [userId],
  );
  return row;
}

describe("me.setTheme", () => {
  it("remembers the pick for this user only, where every new session reads it", async () => {
    const [rita, uma] = await Promise.all([createTestUser("REVIEWER"), createTestUser("USER")]);
    expect((await callerFor(rita.id).me.get())?.theme).toBe("SYSTEM");

    expect(await callerFor(rita.id).me.setTheme({ theme: "DARK" })).toEqual({ theme: "DARK" });
    // A new browser is a new session with the same claim: it reads the row, not a cache.
    expect((await callerFor(rita.id).me.get())?.theme).toBe("DARK");
    expect((await callerFor(uma.id).me.get())?.theme).toBe("SYSTEM");

    await callerFor(rita.id).me.setTheme({ theme: "LIGHT" });
    await callerFor(rita.id).me.setTheme({ theme: "SYSTEM" });
    expect((await rowOf(rita.id))?.theme).toBe("SYSTEM");
  });

  it("ends no session and leaves the admin console's version alone", async () => {
    const user = await createTestUser("USER");
    const before = await rowOf(user.id);
    await callerFor(user.id).me.setTheme({ theme: "DARK" });
    const after = await rowOf(user.id);
    expect(after).toEqual({ ...before, theme: "DARK" });
  });

  it("refuses other spellings of the three values with BAD_REQUEST and stores nothing", async () => {
    const user = await createTestUser("USER");
    for (const theme of ["dark", "Dark", " DARK", "DARK ", "night", "", "SYSTEM\u0000"]) {
      expect(await codeOf(callerFor(user.id).me.setTheme({ theme } as never)), JSON.stringify(theme)).toBe(
        "BAD_REQUEST",
      );
    }
    expect(await codeOf(callerFor(user.id).me.setTheme({} as never))).toBe("BAD_REQUEST");
    expect((await rowOf(user.id))?.theme).toBe("SYSTEM");
  });

  it("is refused signed out (UNAUTHORIZED) and for a deactivated account (FORBIDDEN)", async () => {
    expect(await codeOf(callerFor(null).me.setTheme({ theme: "DARK" }))).toBe("UNAUTHORIZED");
    const user = await createTestUser("USER");
    await database.query(`UPDATE "User" SET active = false WHERE id = $1`, [user.id]);
    expect(await codeOf(callerFor(user.id).me.setTheme({ theme: "DARK" }))).toBe("FORBIDDEN");
    expect((await rowOf(user.id))?.theme).toBe("SYSTEM");
  });
});
