/**
 * listenFor: a notification reaches the handlers of its own payload only — found by key,
 * so a thousand open streams do not each hear every other run's NOTIFY — and every
 * handler of that payload, each removed on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { db } from "./client";
import { closeNotifications, listen, listenFor } from "./notifications";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

const CHANNEL = "airlock_test_keyed";

async function notify(payload: string): Promise<void> {
  await db().$executeRawUnsafe(`SELECT pg_notify('${CHANNEL}', $1)`, payload);
}

/** Resolves once a plain listener on the channel has heard `payload`: by then every handler of it has run. */
async function delivered(payload: string): Promise<void> {
  let stop = () => {};
  const heard = new Promise<void>((resolve) => {
    void listen(CHANNEL, (value) => {
      if (value === payload) resolve();
    }).then((unlisten) => {
      stop = unlisten;
    });
  });
  await notify(payload);
  await heard;
  stop();
}

describe("listenFor", () => {
  it("calls the handlers of the notified payload, never those of other payloads", async () => {
    const heard: string[] = [];
    const stops = await Promise.all([
      listenFor(CHANNEL, "run-a", (payload) => heard.push(`first:${payload}`)),
      listenFor(CHANNEL, "run-a", (payload) => heard.push(`second:${payload}`)),
      listenFor(CHANNEL, "run-b", (payload) => heard.push(`b:${payload}`)),
      // Hostile spellings of a key are other keys, not patterns.
      listenFor(CHANNEL, "run-a ", (payload) => heard.push(`spaced:${payload}`)),
      listenFor(CHANNEL, "RUN-A", (payload) => heard.push(`upper:${payload}`)),
    ]);
    await notify("run-a");
    await delivered("marker-1");
    expect(heard.sort()).toEqual(["first:run-a", "second:run-a"]);

    // Removing one subscription keeps the other of the same payload.
    heard.length = 0;
    stops[0]?.();
    await notify("run-a");
    await delivered("marker-2");
    expect(heard).toEqual(["second:run-a"]);

    heard.length = 0;
    for (const stop of stops) stop();
    await notify("run-a");
    await notify("run-b");
    await delivered("marker-3");
    expect(heard).toEqual([]);
  });

  it("keeps a handler subscribed twice as two subscriptions", async () => {
    let calls = 0;
    const handler = () => {
      calls++;
    };
    const first = await listenFor(CHANNEL, "run-c", handler);
    const second = await listenFor(CHANNEL, "run-c", handler);
    await notify("run-c");
    await delivered("marker-4");
    expect(calls).toBe(2);
    first();
    await notify("run-c");
    await delivered("marker-5");
    expect(calls).toBe(3);
    second();
  });
});

describe("closing", () => {
  it("leaves no LISTEN connection behind when it closes while one is being made", async () => {
    const listening = async () =>
      (
        await database.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
        )
      )[0]?.n;
    await closeNotifications();
    // The subscription starts a connection; the close comes before it is made.
    const subscribed = listen("airlock_test_closing", () => {});
    await closeNotifications();
    await subscribed;
    await expect.poll(listening, { timeout: 5_000 }).toBe(0);
  });
});
