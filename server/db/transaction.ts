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
 */

import { env } from "../env";
import { logger } from "../telemetry/logger";
import { db } from "./client";
import { DatabaseBusyError, prismaErrorCode } from "./errors";
import type { Prisma } from "./generated/client";

export type Transaction = Prisma.TransactionClient;

/** Prisma's code for its transaction manager's errors, the start timeout among them. */
const TRANSACTION_API_ERROR = "P2028";
/** Attempts of a transaction that holds no lease (a web request, a sign-in) before DatabaseBusyError. */
const UNLEASED_START_ATTEMPTS = 3;
const LONGEST_WAIT_MS = 600_000;

let startRetries = 0;

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
        (tx) => {
          entered = true;
          return work(tx);
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
