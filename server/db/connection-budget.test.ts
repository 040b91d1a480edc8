/** An instance whose pools do not fit under max_connections is refused at start, clearly. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { ConnectionBudgetError, checkConnectionBudget, connectionsNeeded, fits } from "./connection-budget";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

describe("connection budget", () => {
  it("counts both pools and the LISTEN connection", () => {
    expect(connectionsNeeded({ DATABASE_POOL_SIZE: 20, DATABASE_SQL_POOL_SIZE: 20 })).toBe(41);
  });

  it("fits N instances only while their connections stay under max_connections minus the reserved ones", () => {
    const perInstance = connectionsNeeded({ DATABASE_POOL_SIZE: 10, DATABASE_SQL_POOL_SIZE: 10 });
    const server = { maxConnections: 100, reservedConnections: 3 };
    // Four instances running (84 in use): a fifth does not fit under 97.
    expect(fits({ ...server, inUse: 3 * perInstance, needed: perInstance })).toBe(true);
    expect(fits({ ...server, inUse: 4 * perInstance, needed: perInstance })).toBe(false);
    expect(fits({ ...server, inUse: 97 - perInstance, needed: perInstance })).toBe(true);
    expect(fits({ ...server, inUse: 98 - perInstance, needed: perInstance })).toBe(false);
  });

  it("reads the real server's limits and refuses pools that cannot fit, saying what to change", async () => {
    const small = await checkConnectionBudget({
      databaseUrl: database.url,
      config: { DATABASE_POOL_SIZE: 1, DATABASE_SQL_POOL_SIZE: 1 },
    });
    expect(small.maxConnections).toBe(200); // the embedded server's setting
    expect(small.needed).toBe(3);

    const refused = await checkConnectionBudget({
      databaseUrl: database.url,
      config: { DATABASE_POOL_SIZE: 150, DATABASE_SQL_POOL_SIZE: 60 },
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectionBudgetError);
    expect((refused as Error).message).toContain("This instance may open 211 database connections");
    expect((refused as Error).message).toContain("max_connections is 200");
    expect((refused as Error).message).toContain("Lower DATABASE_POOL_SIZE and DATABASE_SQL_POOL_SIZE");
  });
});
