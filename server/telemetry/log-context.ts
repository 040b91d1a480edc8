/**
 * Who and what a log line is about, carried through async calls: the run a worker is
 * executing, the user a request is for. The logger adds them to every line, with the
 * active span's trace and span ids, so a line can be found from a trace and back.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface LogContext {
  runId?: string;
  userId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

export function withLogContext<T>(fields: LogContext, work: () => T): T {
  const merged = { ...storage.getStore(), ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v)) };
  return storage.run(merged, work);
}

export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}
