/**
 * One LISTEN connection per process, shared by every subscriber. Postgres NOTIFY is how
 * an event committed on one instance wakes streams and workers on all instances. On a
 * lost connection it reconnects and tells subscribers, who then re-read from the
 * database (notifications are hints; the rows are the truth).
 */
import { EventEmitter } from "node:events";
import pg from "pg";
import { logger } from "../telemetry/logger";
import { databaseUrl } from "./client";

type Handler = (payload: string) => void;

interface Listener {
  emitter: EventEmitter;
  /** Handlers of one payload on one channel (listenFor): a notification reaches only them. */
  keyed: Map<string, Map<string, Set<Handler>>>;
  channels: Set<string>;
  client?: pg.Client;
  connecting?: Promise<void>;
  closed: boolean;
}

const globalForListener = globalThis as unknown as { airlockListener?: Listener };

function listener(): Listener {
  globalForListener.airlockListener ??= {
    emitter: new EventEmitter().setMaxListeners(0),
    keyed: new Map(),
    channels: new Set(),
    closed: false,
  };
  return globalForListener.airlockListener;
}

function quoteChannel(channel: string): string {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`Bad channel name ${channel}`);
  return `"${channel}"`;
}

async function connect(state: Listener): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  client.on("notification", (message) => {
    const payload = message.payload ?? "";
    state.emitter.emit(message.channel, payload);
    const handlers = state.keyed.get(message.channel)?.get(payload);
    if (handlers) for (const handler of [...handlers]) handler(payload);
  });
  client.on("error", (error) => {
    client.end().catch(() => {});
    // A connection still being set up is not in use: its connect() fails, and its caller says so.
    if (state.client !== client) return;
    logger.warn("notification connection lost; reconnecting", { error: error.message });
    state.client = undefined;
    state.emitter.emit("connection-lost", error.message);
    void reconnect(state);
  });
  try {
    await client.connect();
    for (const channel of state.channels) await client.query(`LISTEN ${quoteChannel(channel)}`);
  } catch (error) {
    client.end().catch(() => {});
    throw error;
  }
  // Closed while this connection was being made: nobody would ever end it.
  if (state.closed) {
    await client.end().catch(() => {});
    return;
  }
  state.client = client;
}

/** Retries until the database answers again (it may be restarting), then tells subscribers. */
async function reconnect(state: Listener, attempt = 0): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 10_000)));
  if (state.closed) return;
  try {
    await ensureConnected(state);
    if (attempt > 0) logger.info("notification connection restored", { attempts: attempt + 1 });
    state.emitter.emit("reconnected", "");
  } catch (error) {
    // Said once per outage (the loss was logged already); every retry is not news.
    if (attempt === 0)
      logger.warn("notification connection still down; retrying with backoff", {
        error: (error as Error).message,
      });
    await reconnect(state, attempt + 1);
  }
}

async function ensureConnected(state: Listener): Promise<void> {
  if (state.closed || state.client) return;
  state.connecting ??= connect(state).finally(() => {
    state.connecting = undefined;
  });
  await state.connecting;
}

/** Subscribes to a channel; the returned function unsubscribes. */
export async function listen(channel: string, handler: Handler): Promise<() => void> {
  const state = listener();
  state.emitter.on(channel, handler);
  await listenOn(state, channel);
  return () => state.emitter.off(channel, handler);
}

/**
 * Subscribes to the notifications on `channel` whose payload is `payload` (a run's
 * events, say). Found by key, so a notification costs the same whether one or a thousand
 * other payloads have subscribers: with `listen`, every run-event NOTIFY called every
 * open stream's handler.
 */
export async function listenFor(channel: string, payload: string, handler: Handler): Promise<() => void> {
  const state = listener();
  const byPayload = state.keyed.get(channel) ?? new Map<string, Set<Handler>>();
  state.keyed.set(channel, byPayload);
  const handlers = byPayload.get(payload) ?? new Set<Handler>();
  byPayload.set(payload, handlers);
  // A handler added twice is still one entry; each call gets its own wrapper to remove.
  const entry: Handler = (value) => handler(value);
  handlers.add(entry);
  await listenOn(state, channel);
  return () => {
    handlers.delete(entry);
    if (handlers.size === 0 && byPayload.get(payload) === handlers) byPayload.delete(payload);
  };
}

async function listenOn(state: Listener, channel: string): Promise<void> {
  state.closed = false;
  if (!state.channels.has(channel)) {
    state.channels.add(channel);
    await ensureConnected(state);
    await state.client?.query(`LISTEN ${quoteChannel(channel)}`);
  } else {
    await ensureConnected(state);
  }
}

/** Called after a reconnect, when notifications may have been missed. */
export function onReconnect(handler: () => void): () => void {
  const state = listener();
  state.emitter.on("reconnected", handler);
  return () => state.emitter.off("reconnected", handler);
}

/** Called when the shared connection drops (the database went away or restarted). */
export function onConnectionLost(handler: (reason: string) => void): () => void {
  const state = listener();
  state.emitter.on("connection-lost", handler);
  return () => state.emitter.off("connection-lost", handler);
}

export async function closeNotifications(): Promise<void> {
  const state = listener();
  state.closed = true;
  state.channels.clear();
  const client = state.client;
  state.client = undefined;
  await client?.end().catch(() => {});
}

export interface SerialReload {
  /**
   * The rows changed: load them again. Called during a load, it asks for exactly one more
   * (any number of calls share it), and the load under way is never installed: it may
   * have read the rows before this change. Resolves once rows read after the call are
   * installed; rejects with the error of the load that was to supply them.
   */
  reload(): Promise<void>;
  /**
   * A copy is needed and no change is known: waits for the load under way, or starts one.
   * Readers never discard a load, so however many arrive, loads still finish.
   */
  ready(): Promise<void>;
}

/**
 * Keeps a process's copy of some rows current when NOTIFY (or a reconnect, or a stale
 * check) says they changed: `load` reads the rows, `install` makes them the copy in use.
 * At most one load (and its install) runs at a time, so a slow load that read before a
 * change can never install over a quicker one that read after it.
 */
export function serialReload<T>(load: () => Promise<T>, install: (value: T) => void | Promise<void>): SerialReload {
  type Waiter = { resolve: () => void; reject: (error: unknown) => void };
  let loading = false;
  /** reload() was called since the current load started. */
  let changed = false;
  /** Everyone waiting for the next install. */
  let waiters: Waiter[] = [];

  async function drain(): Promise<void> {
    loading = true;
    while (waiters.length > 0) {
      changed = false;
      let outcome: { value: T } | { error: unknown };
      try {
        outcome = { value: await load() };
      } catch (error) {
        outcome = { error };
      }
      if (changed) continue; // what this load read may predate that change
      const served = waiters;
      waiters = [];
      try {
        if ("error" in outcome) throw outcome.error;
        await install(outcome.value);
        for (const waiter of served) waiter.resolve();
      } catch (error) {
        for (const waiter of served) waiter.reject(error);
      }
    }
    loading = false;
  }

  function next(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      waiters.push({ resolve, reject });
      if (!loading) void drain();
    });
  }

  return {
    reload() {
      if (loading) changed = true;
      return next();
    },
    ready: next,
  };
}
