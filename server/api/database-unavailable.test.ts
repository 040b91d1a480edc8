/**
 * While the database is away, callers get a clear 503 (SERVICE_UNAVAILABLE) in our words,
 * not a generic 500 and not the driver's text; and a stream's own "lost the connection"
 * message reaches its subscriber instead of the generic internal-error text.
 */

import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDatabaseForTests } from "../db/client";
import { findFreePort } from "../db/embedded-postgres";
import { AirlockError } from "../errors";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestUser } from "../testing/fixtures";
import { appRouter, createCaller } from "./root";
import { createInnerContext, DATABASE_UNAVAILABLE_MESSAGE } from "./trpc";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

function format(error: TRPCError) {
  const formatter = appRouter._def._config.errorFormatter;
  return formatter({
    error,
    type: "subscription",
    path: "chat.events",
    input: undefined,
    ctx: undefined,
    shape: {
      message: error.message,
      code: -32603,
      data: { code: error.code, httpStatus: getHTTPStatusCodeFromError(error), path: "chat.events" },
    },
  });
}

describe("the database away", () => {
  it("a signed-in call answers SERVICE_UNAVAILABLE (503) with our message, then works again", async () => {
    const user = await createTestUser("USER");
    const caller = createCaller(createInnerContext({ userId: user.id }));
    const deadPort = await findFreePort();
    await connectDatabaseForTests(`postgresql://airlock:secret@127.0.0.1:${deadPort}/airlock`);
    try {
      const refused = await caller.conversation.list().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(TRPCError);
      expect((refused as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
      expect(getHTTPStatusCodeFromError(refused as TRPCError)).toBe(503);
      expect((refused as TRPCError).message).toBe(DATABASE_UNAVAILABLE_MESSAGE);
      expect((refused as TRPCError).message).not.toContain(String(deadPort));
    } finally {
      await connectDatabaseForTests(database.url);
    }
    expect(await caller.conversation.list()).toEqual([]);
  });

  it("a stream's lost-connection message survives the error formatter; other internal errors do not leak", () => {
    const lost = new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      cause: new AirlockError("database:unavailable", "Lost the connection to the database; reconnecting."),
    });
    expect(format(lost).message).toBe("Lost the connection to the database; reconnecting.");
    expect(format(lost).data.domainCode).toBe("database:unavailable");

    const bug = new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      cause: new Error("connect ECONNREFUSED 10.0.0.5:5432"),
    });
    expect(format(bug).message).toBe("Something went wrong on the server. It has been logged.");
  });
});
