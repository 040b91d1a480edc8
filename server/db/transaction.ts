/**
 * The transaction type services pass around, and the one way server code opens an
 * interactive transaction: inTransaction(), which makes a busy pool a wait, not an error.
 *
 * Prisma's driver-adapter client (6.19) takes a pool connection for an interactive
 * transaction however long that takes, and only then, if more than `maxWait` has passed,
 * rolls it back and throws P2028 "Unable to start a transaction in the given time". Such
 * an attempt ran nothing of the caller's work (its callback was never entered), so it is
 * safe to try again: inTransaction() does, doubling the wait each time, so an attempt is
 * always allowed longer than the queue that beat the one before. With 1000 streams on the
 * default pool, runs failed with that error (bench:load, issue 14).
 *
 * Audit events recorded in the transaction (recordAuditEvent) are appended as its last
 * statement. The append takes the chain's lock (one for the whole database, held until
 * commit), so a transaction holding it must wait for nothing else: otherwise one that
 * audited and then updated a row another transaction held, while that one waited for the
 * chain, was a deadlock (40P01), and one of them failed (the chaos campaign's runs).
 */

import { env } from "../env";
import { logger } from "../telemetry/logger";
import type { AuditRecord } from "./audit-events";
import { db } from "./client";
import { DatabaseBusyError, prismaErrorCode } from "./errors";
import type { Prisma } from "./generated/client";
import { jsonText } from "./sql-batch";

export type Transaction = Prisma.TransactionClient;

/** Prisma's code for its transaction manager's errors, the start timeout among them. */
const TRANSACTION_API_ERROR = "P2028";
/** Attempts of a transaction that holds no lease (a web request, a sign-in) before DatabaseBusyError. */
const UNLEASED_START_ATTEMPTS = 3;
const LONGEST_WAIT_MS = 600_000;

let startRetries = 0;

/** The audit events each open transaction will append when its work is done. */
const deferredAudits = new WeakMap<Transaction, AuditRecord[]>();

/**
 * Queues the event to be appended at the end of the transaction, after the caller's work:
 * the one way an interactive transaction writes to the audit chain.
 */
export function appendAuditAtCommit(tx: Transaction, record: AuditRecord): void {
  const queue = deferredAudits.get(tx);
  if (!queue) throw new Error("audit events are recorded in a transaction opened by inTransaction()");
  queue.push(record);
}

async function appendDeferredAudits(tx: Transaction): Promise<void> {
  const records = deferredAudits.get(tx) ?? [];
  deferredAudits.delete(tx);
  if (records.length > 0) await tx.$queryRawUnsafe(`SELECT "airlock_append_audits"($1::jsonb)`, jsonText(records));
}

/** Transaction attempts of this process that timed out waiting for a connection and were tried again. */
export function transactionStartRetries(): number {
  return startRetries;
}

export interface TransactionOptions {
  /**
   * The work first proves a run's lease (withLease, transitionRun). Its wait for a
   * connection then needs no bound of its own: it is tried until it starts, and an attempt
   * that starts after the lease was lost is refused by that check (LeaseLostError, or
   * transitionRun's false). Each retry follows a connection the pool did hand out, so a
   * dead database is never waited for this way (that fails at once, as unavailable).
   */
  leased?: boolean;
}

export async function inTransaction<T>(
  work: (tx: Transaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  let maxWait = env().DATABASE_TRANSACTION_MAX_WAIT_MS;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let entered = false;
    const startedAt = Date.now();
    try {
      return await db().$transaction(
        async (tx) => {
          entered = true;
          deferredAudits.set(tx, []);
          const result = await work(tx);
          await appendDeferredAudits(tx);
          return result;
        },
        { maxWait },
      );
    } catch (error) {
      if (entered || prismaErrorCode(error) !== TRANSACTION_API_ERROR) throw error;
      waited += Date.now() - startedAt;
      if (!options.leased && attempt >= UNLEASED_START_ATTEMPTS) {
        throw new DatabaseBusyError(attempt, waited, { cause: error });
      }
      startRetries++;
      logger.debug("connection pool busy: transaction tried again", {
        attempt,
        waitedMs: waited,
        nextMaxWaitMs: maxWait * 2,
      });
      maxWait = Math.min(maxWait * 2, LONGEST_WAIT_MS);
    }
  }
}
