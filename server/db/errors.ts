/**
 * Telling "the database is unreachable right now" apart from every other failure: the
 * engine must not record a run as failed because Postgres restarted; it leaves the run to
 * be resumed when the database is back. And telling an error the database raised apart
 * from the rest, so its text (table names, constraint and trigger messages) is logged,
 * never shown to a user.
 */
import pg from "pg";
import { BatchError } from "./sql-batch";

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
