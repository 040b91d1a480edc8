/**
 * A transaction whose connection the server ends (a restart, pg_terminate_backend, a
 * network cut) fails, and its connection slot comes back: with Prisma's own pool each
 * such loss kept one slot for good, so a process with a pool of N was wedged after N
 * losses and $disconnect() never returned.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { within } from "../testing/deadline";
import { createDatabase, type Database } from "./client";

let database: TestDatabase;
let client: Database;
const POOL_SIZE = 2;

beforeAll(async () => {
  database = await createTestDatabase();
  client = createDatabase(database.url, POOL_SIZE);
});
afterAll(async () => database?.drop());

async function terminateOwnBackend(tx: Pick<Database, "$queryRawUnsafe">): Promise<void> {
  const [row] = await tx.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
  await database.query("SELECT pg_terminate_backend($1)", [row?.pid]);
  // The termination reaches the client as the socket's end.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

it("connections lost mid-transaction or at COMMIT come back to the pool; queries and $disconnect go on", async () => {
  const losses = POOL_SIZE * 2;
  for (let loss = 0; loss < losses; loss++) {
    const atCommit = loss % 2 === 1;
    const transaction = client.$transaction(async (tx) => {
      await terminateOwnBackend(tx);
      // Mid-transaction: the next statement fails, then ROLLBACK fails. At commit: COMMIT fails.
      if (!atCommit) await tx.$queryRawUnsafe("SELECT 1");
    });
    await expect(within(transaction, `transaction ${loss + 1}`, 10_000)).rejects.toThrow(/connection|terminat/i);
  }
  // Four lost connections on a pool of two: every slot would be gone.
  const rows = await within(
    client.$queryRawUnsafe<{ one: number }[]>("SELECT 1 AS one"),
    "a query after the losses",
    10_000,
  );
  expect(rows).toEqual([{ one: 1 }]);
  await within(
    client.$transaction(async (tx) => tx.$executeRawUnsafe("SELECT 1")),
    "a transaction after the losses",
    10_000,
  );
  await within(client.$disconnect(), "$disconnect", 10_000);
});
