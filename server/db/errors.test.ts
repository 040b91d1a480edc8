/**
 * Signals cross from SQL to TypeScript as SQLSTATEs, and databaseSignal turns each into
 * its typed error whichever driver carried it (node-postgres, a one-round-trip batch,
 * Prisma's driver adapter) — by code alone: the same text under another code is not a
 * signal, and an error that is not ours comes back unchanged.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { createTestConversation, createTestUser, sendTestMessage } from "../testing/fixtures";
import { db } from "./client";
import {
  ConversationNotFoundError,
  databaseErrorCode,
  databaseSignal,
  LeaseLostError,
  RunBusyError,
  RunNotFoundError,
  SQLSTATE,
} from "./errors";
import { appendRunEvents } from "./run-events";
import { queueRunStatements } from "./runs";
import { queryOne, runInOneRoundTrip } from "./sql-batch";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const SIGNALS = [
  [SQLSTATE.leaseLost, LeaseLostError],
  [SQLSTATE.runBusy, RunBusyError],
  [SQLSTATE.conversationNotFound, ConversationNotFoundError],
  [SQLSTATE.runNotFound, RunNotFoundError],
] as const;

const raise = (code: string, detail: string) =>
  `DO $$ BEGIN RAISE EXCEPTION 'airlock:lease-lost and more' USING ERRCODE = '${code}', DETAIL = '${detail}'; END $$`;

/** The error each driver path throws for one statement. */
const DRIVERS: [string, (statement: string) => Promise<unknown>][] = [
  ["node-postgres", (statement) => queryOne(statement, [])],
  ["a one-round-trip batch", (statement) => runInOneRoundTrip([statement])],
  ["Prisma", (statement) => db().$executeRawUnsafe(statement)],
];

async function caught(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to fail");
}

describe("databaseSignal", () => {
  for (const [driver, run] of DRIVERS) {
    for (const [code, ErrorClass] of SIGNALS) {
      it(`turns SQLSTATE ${code} into ${ErrorClass.name} through ${driver}, naming the subject from DETAIL`, async () => {
        const subject = randomUUID();
        const error = await caught(() => run(raise(code, subject)));
        expect(databaseErrorCode(error)).toEqual({ code, detail: subject });
        const signal = databaseSignal(error);
        expect(signal).toBeInstanceOf(ErrorClass);
        expect((signal as Error).message).toContain(subject);
        expect((signal as Error).cause).toBe(error);
      });
    }

    it(`leaves any other error as it is through ${driver}, whatever its text says`, async () => {
      const error = await caught(() => run(raise("P0001", "run-1")));
      expect(databaseSignal(error)).toBe(error);
      const missing = await caught(() => run(`SELECT * FROM "NoSuchTable"`));
      expect(databaseErrorCode(missing)?.code).toBe("42P01");
      expect(databaseSignal(missing)).toBe(missing);
    });
  }

  it("is not fooled by an error that only looks like one (no code, a code of the wrong shape)", () => {
    const plain = new Error(`code ${SQLSTATE.leaseLost}`);
    expect(databaseSignal(plain)).toBe(plain);
    const odd = Object.assign(new Error("x"), { code: "za001" });
    expect(databaseSignal(odd)).toBe(odd);
    expect(databaseSignal(undefined)).toBeUndefined();
  });
});

describe("the functions' signals", () => {
  it("airlock_queue_run: another owner's (or no) conversation is ConversationNotFoundError; a second active run is RunBusyError", async () => {
    const owner = await createTestUser();
    const stranger = await createTestUser();
    const conversation = await createTestConversation(owner.id);
    const queue = (ownerId: string) =>
      runInOneRoundTrip(
        queueRunStatements({
          id: randomUUID(),
          conversationId: conversation.id,
          ownerId,
          modelId: "demo",
          text: "hello",
          title: "hello",
        }),
      );
    const notOwned = databaseSignal(await caught(() => queue(stranger.id)));
    expect(notOwned).toBeInstanceOf(ConversationNotFoundError);
    expect((notOwned as Error).message).toContain(conversation.id);
    await queue(owner.id);
    expect(databaseSignal(await caught(() => queue(owner.id)))).toBeInstanceOf(RunBusyError);
  });

  it("airlock_append_run_events: a run that does not exist is RunNotFoundError, through Prisma", async () => {
    const runId = randomUUID();
    const error = await caught(() => appendRunEvents(runId, [{ type: "run-status", status: "RUNNING" }]));
    expect(error).toBeInstanceOf(RunNotFoundError);
    expect((error as Error).message).toContain(runId);
  });

  it("airlock_write_run: a worker without the lease is LeaseLostError (see run-write.test.ts for what it leaves unwritten)", async () => {
    const user = await createTestUser();
    const conversation = await createTestConversation(user.id);
    const runId = await sendTestMessage(user.id, conversation.id, "hello");
    const error = await caught(() =>
      queryOne(`SELECT "airlock_write_run"($1::jsonb)`, [JSON.stringify({ runId, workerId: "nobody", events: [] })]),
    );
    const signal = databaseSignal(error);
    expect(signal).toBeInstanceOf(LeaseLostError);
    expect((signal as Error).message).toContain(runId);
  });
});
