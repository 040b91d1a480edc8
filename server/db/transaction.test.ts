/**
 * inTransaction() against the real database, with a Prisma pool of one connection and a
 * 10 ms first wait: a transaction that had to wait longer for the connection is not an
 * error (Prisma's P2028 "Unable to start a transaction in the given time"), it is tried
 * again and its work runs exactly once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { DatabaseBusyError, isDatabaseUnavailable } from "./errors";
import { inTransaction, transactionStartRetries } from "./transaction";

const TINY_POOL = { DATABASE_POOL_SIZE: "1", DATABASE_TRANSACTION_MAX_WAIT_MS: "10" } as const;
const saved: Record<string, string | undefined> = {};
let database: TestDatabase;

beforeAll(async () => {
  for (const [name, value] of Object.entries(TINY_POOL)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** A transaction that holds the pool's one connection until released. */
async function holdTheConnection(): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  let holding!: () => void;
  const held = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const done = inTransaction(async (tx) => {
    await tx.$executeRawUnsafe("SELECT 1");
    holding();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  await held;
  return { release, done };
}

for (const leased of [false, true]) {
  it(`a ${leased ? "leased" : "plain"} transaction that waited past its bound for a connection runs once, on a later attempt`, async () => {
    const holder = await holdTheConnection();
    const retriesBefore = transactionStartRetries();
    let entered = 0;
    const waiting = inTransaction(
      async (tx) => {
        entered++;
        return tx.$queryRawUnsafe<{ answer: number }[]>("SELECT 42 AS answer");
      },
      { leased },
    );
    // The bound is a time: the waiter must have queued longer than 10 ms before it gets the connection.
    await new Promise((resolve) => setTimeout(resolve, 60));
    holder.release();
    await holder.done;
    expect(await waiting).toEqual([{ answer: 42 }]);
    expect(entered).toBe(1);
    expect(transactionStartRetries() - retriesBefore).toBe(1);
  });
}

it("a work error is not retried, even when it is Prisma's own", async () => {
  let entered = 0;
  await expect(
    inTransaction(async (tx) => {
      entered++;
      await tx.$executeRawUnsafe("SELECT * FROM no_such_table");
    }),
  ).rejects.toThrow(/no_such_table/);
  expect(entered).toBe(1);
});

it("a pool that stayed busy through every attempt is 'unavailable' to callers (503, a run resumed later), never a failure", () => {
  const busy = new DatabaseBusyError(3, 70);
  expect(isDatabaseUnavailable(busy)).toBe(true);
  expect(isDatabaseUnavailable(new Error("procedure failed", { cause: busy }))).toBe(true);
  expect(busy.message).toMatch(/3 attempts/);
});
