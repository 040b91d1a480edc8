import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

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
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("authorization on the server", () => {
  it("admin procedures: only ADMIN; signed-out → UNAUTHORIZED", async () => {
    const [user, reviewer, admin] = await Promise.all([
      createTestUser("USER"),
      createTestUser("REVIEWER"),
      createTestUser("ADMIN"),
    ]);
    expect(await codeOf(callerFor(null).admin.overview())).toBe("UNAUTHORIZED");
    expect(await codeOf(callerFor(user.id).admin.overview())).toBe("FORBIDDEN");
    expect(await codeOf(callerFor(reviewer.id).admin.overview())).toBe("FORBIDDEN");
    expect(await codeOf(callerFor(admin.id).admin.overview())).toBe("OK");
    expect(await codeOf(callerFor(user.id).admin.verifyAudit())).toBe("FORBIDDEN");
  });

  it("reads the role from the database on every call: a demoted or deactivated admin loses access at once", async () => {
    const admin = await createTestUser("ADMIN");
    const caller = callerFor(admin.id);
    expect(await codeOf(caller.admin.overview())).toBe("OK");
    await database.query(`UPDATE "User" SET role = 'USER' WHERE id = $1`, [admin.id]);
    expect(await codeOf(caller.admin.overview())).toBe("FORBIDDEN");
    await database.query(`UPDATE "User" SET role = 'ADMIN', active = false WHERE id = $1`, [admin.id]);
    expect(await codeOf(caller.admin.overview())).toBe("FORBIDDEN");
    expect(await codeOf(caller.conversation.list())).toBe("FORBIDDEN");
  });

  it("a session for a user that no longer exists is UNAUTHORIZED", async () => {
    expect(await codeOf(callerFor("c-no-such-user").conversation.list())).toBe("UNAUTHORIZED");
  });

  it("conversations and runs are visible to their owner only, whatever the other's role", async () => {
    const owner = await createTestUser("USER");
    const conversation = await createTestConversation(owner.id);
    const runId = await sendTestMessage(owner.id, conversation.id, "hello");
    for (const role of ["USER", "REVIEWER", "ADMIN"] as const) {
      const other = callerFor((await createTestUser(role)).id);
      expect(await codeOf(other.conversation.get({ id: conversation.id }))).toBe("NOT_FOUND");
      expect(await codeOf(other.conversation.rename({ id: conversation.id, title: "mine now" }))).toBe("NOT_FOUND");
      expect(await codeOf(other.conversation.delete({ id: conversation.id }))).toBe("NOT_FOUND");
      expect(await codeOf(other.chat.send({ conversationId: conversation.id, text: "hi" }))).toBe("NOT_FOUND");
      expect(await codeOf(other.chat.cancel({ runId }))).toBe("NOT_FOUND");
      expect(await codeOf(other.chat.events({ runId }))).toBe("NOT_FOUND");
      expect((await other.conversation.list()).map((item) => item.id)).not.toContain(conversation.id);
    }
    const mine = await callerFor(owner.id).conversation.get({ id: conversation.id });
    expect(mine.messages[0]?.parts).toEqual([{ type: "text", text: "hello" }]);
  });

  it("malformed input is a BAD_REQUEST, not a crash", async () => {
    const user = await createTestUser("USER");
    const caller = callerFor(user.id);
    expect(await codeOf(caller.chat.send({ conversationId: "", text: "x" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.chat.send({ conversationId: 42 as unknown as string, text: "x" }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.conversation.rename({ id: "x", title: "   " }))).toBe("BAD_REQUEST");
    const conversation = await createTestConversation(user.id);
    expect(await codeOf(caller.chat.send({ conversationId: conversation.id, text: "   " }))).toBe("BAD_REQUEST");
    expect(await codeOf(caller.chat.send({ conversationId: conversation.id, text: "x".repeat(100_001) }))).toBe(
      "BAD_REQUEST",
    );
    expect(await codeOf(caller.conversation.setModel({ id: conversation.id, modelId: "openai:not-configured" }))).toBe(
      "BAD_REQUEST",
    );
    // The MCP gateway's model turns typed text into tool calls; it is not a model to chat with.
    expect(await codeOf(caller.conversation.setModel({ id: conversation.id, modelId: "mcp-gateway" }))).toBe(
      "BAD_REQUEST",
    );
    expect(await codeOf(caller.conversation.create({ title: "x", modelId: "mcp-gateway" }))).toBe("BAD_REQUEST");
  });

  it("one run per conversation at a time: a second message while the first is queued is a CONFLICT", async () => {
    const user = await createTestUser("USER");
    const conversation = await createTestConversation(user.id);
    const caller = callerFor(user.id);
    const results = await Promise.allSettled([
      caller.chat.send({ conversationId: conversation.id, text: "first" }),
      caller.chat.send({ conversationId: conversation.id, text: "second" }),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    expect((rejected.reason as TRPCError).code).toBe("CONFLICT");
  });
});
