/**
 * What the database's errors mean to the rest of the server, decided by code:
 * - the signals our functions (prisma/functions/) raise, each with a SQLSTATE of its own,
 *   become typed errors here (`databaseSignal`), so callers test `instanceof`, never text;
 * - "the database is unreachable right now" is told apart from every other failure: the
 *   engine must not record a run as failed because Postgres restarted; it leaves the run
 *   to be resumed when the database is back;
 * - an error the database raised is told apart from the rest, so its text (table names,
 *   constraint and trigger messages) is logged, never shown to a user.
 */
import pg from "pg";
import { BatchError } from "./sql-batch";

/**
 * The SQLSTATEs our functions raise (`RAISE ... USING ERRCODE = '<code>'`). Class ZA: the
 * SQL standard leaves classes starting with I–Z to implementations, and PostgreSQL uses
 * none starting with Z. The sql-constants test holds the files and this map to each other.
 */
export const SQLSTATE = {
  /** The worker no longer holds the run's lease (airlock_write_run). */
  leaseLost: "ZA001",
  /** The conversation still has an active run (airlock_queue_run). */
  runBusy: "ZA002",
  /** No such conversation for this owner (airlock_queue_run). */
  conversationNotFound: "ZA003",
  /** Events were appended to a run that does not exist (airlock_append_run_events). */
  runNotFound: "ZA004",
} as const;

export class LeaseLostError extends Error {
  constructor(runId: string, options?: ErrorOptions) {
    super(`This worker no longer holds the lease on run ${runId}`, options);
    this.name = "LeaseLostError";
  }
}

export class RunBusyError extends Error {
  constructor(conversationId: string, options?: ErrorOptions) {
    super(`Conversation ${conversationId} still has an active run`, options);
    this.name = "RunBusyError";
  }
}

export class ConversationNotFoundError extends Error {
  constructor(conversationId: string, options?: ErrorOptions) {
    super(`Conversation ${conversationId} does not exist or has another owner`, options);
    this.name = "ConversationNotFoundError";
  }
}

export class RunNotFoundError extends Error {
  constructor(runId: string, options?: ErrorOptions) {
    super(`Run ${runId} does not exist`, options);
    this.name = "RunNotFoundError";
  }
}

/**
 * An interactive transaction could not start: every attempt waited its bound for a
 * connection of a pool that stayed busy (see inTransaction). Nothing of it ran. Transient:
 * told apart like an unreachable database (503 and "try again" to a client; a run is left
 * to resume), never a failure of the work itself.
 */
export class DatabaseBusyError extends Error {
  constructor(attempts: number, waitedMs: number, options?: ErrorOptions) {
    super(
      `The database connection pool stayed busy: ${attempts} attempts to start a transaction waited ${waitedMs} ms in all`,
      options,
    );
    this.name = "DatabaseBusyError";
  }
}

/** Each signal's typed error, built from the subject the function names in DETAIL (a run or conversation id). */
const SIGNAL_ERRORS: Record<(typeof SQLSTATE)[keyof typeof SQLSTATE], (subject: string, cause: unknown) => Error> = {
  [SQLSTATE.leaseLost]: (subject, cause) => new LeaseLostError(subject, { cause }),
  [SQLSTATE.runBusy]: (subject, cause) => new RunBusyError(subject, { cause }),
  [SQLSTATE.conversationNotFound]: (subject, cause) => new ConversationNotFoundError(subject, { cause }),
  [SQLSTATE.runNotFound]: (subject, cause) => new RunNotFoundError(subject, { cause }),
};

const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;

/**
 * The SQLSTATE and DETAIL of a database error, wherever the driver put them: node-postgres
 * (`code`, `detail`), a one-round-trip batch (BatchError), or Prisma's driver adapter
 * (`originalCode` on the adapter error's cause, under the client error's `meta`; the
 * client error's own `code`, such as P2010, is Prisma's and not a SQLSTATE).
 */
export function databaseErrorCode(error: unknown): { code: string; detail: string | undefined } | undefined {
  const pending: unknown[] = [error];
  for (let seen = 0; pending.length > 0 && seen < 12; seen++) {
    const candidate = pending.shift() as {
      name?: unknown;
      code?: unknown;
      originalCode?: unknown;
      detail?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    } | null;
    if (typeof candidate !== "object" || candidate === null) continue;
    const prismaOwn = typeof candidate.name === "string" && PRISMA_ERROR_NAME.test(candidate.name);
    const code =
      typeof candidate.originalCode === "string" ? candidate.originalCode : prismaOwn ? undefined : candidate.code;
    if (typeof code === "string" && SQLSTATE_PATTERN.test(code)) {
      return { code, detail: typeof candidate.detail === "string" ? candidate.detail : undefined };
    }
    pending.push(candidate.cause, candidate.meta?.driverAdapterError);
  }
  return undefined;
}

/**
 * The typed error for a signal one of our functions raised (LeaseLostError, RunBusyError,
 * …), or the error unchanged. Callers rethrow what this returns and test `instanceof`.
 */
export function databaseSignal(error: unknown): unknown {
  const raised = databaseErrorCode(error);
  if (!raised || !Object.hasOwn(SIGNAL_ERRORS, raised.code)) return error;
  return SIGNAL_ERRORS[raised.code as keyof typeof SIGNAL_ERRORS](raised.detail ?? "(unnamed)", error);
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  // Prisma's: can't reach the server, timed out reaching it, it closed the connection, no pooled connection in time.
  "P1001",
  "P1002",
  "P1017",
  "P2024",
]);
/** Prisma's driver-adapter error kinds (meta.driverAdapterError.cause.kind) that mean the server is away. */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  "DatabaseNotReachable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
]);
const UNAVAILABLE_TEXT =
  /connection terminated|ECONNREFUSED|ECONNRESET|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery mode)|Client has encountered a connection error|Connection is closed|Can't reach database server|server closed the connection unexpectedly/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof DatabaseBusyError) return true;
    const candidate = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: { cause?: { kind?: unknown } } };
    };
    if (typeof candidate.code === "string" && UNAVAILABLE_CODES.has(candidate.code)) return true;
    const kind = candidate.meta?.driverAdapterError?.cause?.kind;
    if (typeof kind === "string" && UNAVAILABLE_ADAPTER_KINDS.has(kind)) return true;
    if (typeof candidate.message === "string" && UNAVAILABLE_TEXT.test(candidate.message)) return true;
    current = candidate.cause;
  }
  return false;
}

/**
 * Prisma's own error code (P2028, …) of an error its client raised, not a SQLSTATE: the
 * code of PrismaClientKnownRequestError. Undefined for anything else.
 */
export function prismaErrorCode(error: unknown): string | undefined {
  const candidate = error as { name?: unknown; code?: unknown } | null;
  if (typeof candidate !== "object" || candidate === null) return undefined;
  return candidate.name === "PrismaClientKnownRequestError" && typeof candidate.code === "string"
    ? candidate.code
    : undefined;
}

/** Errors of Prisma's client and its driver adapter, by class name (they come from several packages). */
const PRISMA_ERROR_NAME = /^(PrismaClient\w*Error|DriverAdapterError)$/;

export function isDatabaseError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (current instanceof pg.DatabaseError || current instanceof BatchError) return true;
    const candidate = current as { name?: unknown; cause?: unknown };
    if (typeof candidate.name === "string" && PRISMA_ERROR_NAME.test(candidate.name)) return true;
    current = candidate.cause;
  }
  return false;
}
