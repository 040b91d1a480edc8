/**
 * Ownership first, everywhere: every procedure that takes the id of a conversation, run or
 * approval request owned by a user checks ownership before anything that depends on the
 * resource's state. Another user's resource answers exactly like one that does not exist
 * (same code, same message), whatever state it is in — otherwise the answer is an oracle
 * for which ids exist and what their runs are doing.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoModel } from "../models/demo-model";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import {
  createTestConversation,
  createTestUser,
  sendTestMessage,
  startTestWorker,
  testEngineDependencies,
  waitForRunStatus,
} from "../testing/fixtures";
import { createDeleteFileTool } from "../testing/test-tools";
import { createCaller } from "./root";
import { createInnerContext } from "./trpc";

let database: TestDatabase;

const deleteFile = createDeleteFileTool({ onDelete: () => {} });

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

async function answerOf(promise: Promise<unknown>): Promise<string> {
  try {
    const result = await promise;
    // A subscription is refused before it starts; one that starts is an answer of its own.
    return typeof (result as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === "function" ? "STREAM" : "OK";
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

type Caller = ReturnType<typeof createCaller>;

/** Every procedure that takes an owned id, called with the given ids. */
function walk(caller: Caller, ids: { conversationId: string; runId: string; requestId: string }) {
  return {
    "conversation.get": () => caller.conversation.get({ id: ids.conversationId }),
    "conversation.rename": () => caller.conversation.rename({ id: ids.conversationId, title: "taken over" }),
    "conversation.setModel": () => caller.conversation.setModel({ id: ids.conversationId, modelId: "demo" }),
    "conversation.delete": () => caller.conversation.delete({ id: ids.conversationId }),
    "chat.send": () => caller.chat.send({ conversationId: ids.conversationId, text: "hello from a stranger" }),
    "chat.cancel": () => caller.chat.cancel({ runId: ids.runId }),
    "chat.events": () => caller.chat.events({ runId: ids.runId }),
    "approvals.cancel": () => caller.approvals.cancel({ requestId: ids.requestId }),
  };
}

async function answersOf(caller: Caller, ids: { conversationId: string; runId: string; requestId: string }) {
  const answers: Record<string, string> = {};
  for (const [name, call] of Object.entries(walk(caller, ids))) answers[name] = await answerOf(call());
  return answers;
}

async function setRunState(runId: string, run: string, request: string) {
  await database.query(`UPDATE "Run" SET status = $2::"RunStatus" WHERE id = $1`, [runId, run]);
  await database.query(`UPDATE "ApprovalRequest" SET status = $2::"ApprovalStatus" WHERE "runId" = $1`, [
    runId,
    request,
  ]);
}

describe("ownership first", () => {
  it("another user's conversation, run and request answer exactly like nonexistent ones, in every state", async () => {
    const owner = await createTestUser("USER");
    const conversation = await createTestConversation(owner.id);
    const worker = await startTestWorker(
      testEngineDependencies({ model: createDemoModel({ tokenDelayMs: 0 }), tools: [deleteFile] }),
    );
    let runId: string;
    try {
      runId = await sendTestMessage(owner.id, conversation.id, "delete notes.txt");
      await waitForRunStatus(runId, ["AWAITING_APPROVAL"]);
    } finally {
      // The states below are set by hand; no worker may act on them.
      await worker.stop();
    }
    const [request] = await database.query<{ id: string }>(`SELECT id FROM "ApprovalRequest" WHERE "runId" = $1`, [
      runId,
    ]);
    const ids = { conversationId: conversation.id, runId, requestId: request?.id ?? "" };
    // Well-formed ids that name nothing (a malformed id is refused before any lookup, see bad-input.test.ts).
    const nowhere = {
      conversationId: "cnosuchconversation000000",
      runId: "00000000-0000-4000-8000-000000000000",
      requestId: "cnosuchrequest00000000000",
    };

    for (const role of ["USER", "REVIEWER", "ADMIN"] as const) {
      const stranger = createCaller(createInnerContext({ userId: (await createTestUser(role)).id }));
      const nonexistent = await answersOf(stranger, nowhere);
      expect(Object.values(nonexistent).every((answer) => answer.startsWith("NOT_FOUND: "))).toBe(true);
      for (const [run, approval] of [
        ["AWAITING_APPROVAL", "PENDING"],
        ["QUEUED", "APPROVED"],
        ["RUNNING", "APPROVED"],
        ["COMPLETED", "CONSUMED"],
        ["CANCELLED", "CANCELLED"],
      ] as const) {
        await setRunState(runId, run, approval);
        expect({ role, run, answers: await answersOf(stranger, ids) }).toEqual({ role, run, answers: nonexistent });
      }
    }

    // The run trace view: reviewers of its approvals and admins may see a run (as the inbox and
    // the audit log show it); to any other user it answers like a run that does not exist.
    const strangerUser = createCaller(createInnerContext({ userId: (await createTestUser("USER")).id }));
    const missingTrace = await answerOf(strangerUser.observability.runTrace({ runId: nowhere.runId }));
    expect(missingTrace).toMatch(/^NOT_FOUND: /);
    for (const [run, approval] of [
      ["AWAITING_APPROVAL", "PENDING"],
      ["RUNNING", "APPROVED"],
      ["COMPLETED", "CONSUMED"],
    ] as const) {
      await setRunState(runId, run, approval);
      expect(await answerOf(strangerUser.observability.runTrace({ runId }))).toBe(missingTrace);
    }

    // The same calls do depend on the state for the owner: the test would see a leak.
    const own = createCaller(createInnerContext({ userId: owner.id }));
    await setRunState(runId, "RUNNING", "APPROVED");
    expect(await answerOf(own.conversation.delete({ id: conversation.id }))).toMatch(/^CONFLICT: /);
    expect(await answerOf(own.chat.send({ conversationId: conversation.id, text: "again" }))).toMatch(/^CONFLICT: /);
    expect(await answerOf(own.approvals.cancel({ requestId: ids.requestId }))).toMatch(/^CONFLICT: /);
    const [row] = await database.query<{ title: string }>(`SELECT title FROM "Conversation" WHERE id = $1`, [
      conversation.id,
    ]);
    expect(row?.title).not.toBe("taken over");
  });
});
