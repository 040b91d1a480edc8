/** The transaction type services pass around; only server/db creates them. */

import { db } from "./client";
import type { Prisma } from "./generated/client";

export type Transaction = Prisma.TransactionClient;

export function inTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
  return db().$transaction(work, { maxWait: 10_000, timeout: 30_000 });
}
