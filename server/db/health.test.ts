/**
 * Readiness says why it is not ready in words of its own: never empty (the first line of
 * Prisma's message can be a newline), never the database's address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { connectDatabaseForTests } from "./client";
import { findFreePort } from "./embedded-postgres";
import { checkHealth, describeDatabaseFailure } from "./health";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("health", () => {
  it("is ok with the database answering", async () => {
    const health = await checkHealth();
    expect(health).toMatchObject({ status: "ok", database: { status: "ok" } });
  });

  it("reports an unreachable database with a safe, non-empty reason", async () => {
    const deadPort = await findFreePort();
    await connectDatabaseForTests(`postgresql://airlock:secret-password@127.0.0.1:${deadPort}/airlock`);
    try {
      const health = await checkHealth();
      expect(health.status).toBe("degraded");
      expect(health.database.status).toBe("unreachable");
      expect(health.database.error?.trim()).toBeTruthy();
      const text = JSON.stringify(health);
      expect(text).not.toContain(String(deadPort));
      expect(text).not.toContain("127.0.0.1");
      expect(text).not.toContain("secret-password");
    } finally {
      await connectDatabaseForTests(database.url);
    }
    expect((await checkHealth()).status).toBe("ok");
  });

  it("never passes a driver's message on, even one that starts with a newline", () => {
    const prismaLike = Object.assign(
      new Error("\nInvalid `prisma.$queryRawUnsafe()` invocation:\n\nCan't reach database server at 10.1.2.3:5432"),
      { name: "PrismaClientKnownRequestError" },
    );
    const unreachable = describeDatabaseFailure(prismaLike);
    expect(unreachable.status).toBe("unreachable");
    expect(unreachable.error).toMatch(/^The database cannot be reached/);

    const other = describeDatabaseFailure(
      Object.assign(new Error('\nrelation "Run" does not exist at 10.1.2.3'), { code: "42P01" }),
    );
    expect(other).toEqual({ status: "failing", error: "The database answered with an error; see the server log." });
  });
});
