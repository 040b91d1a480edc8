/**
 * Secret rows: names, timestamps and AES-256-GCM ciphertext. Nothing here ever sees a
 * value in clear; encryption lives in server/crypto (secret-box.ts).
 */
import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { Transaction } from "./transaction";

export const secretSummarySelect = {
  name: true,
  createdAt: true,
  updatedAt: true,
  updatedBy: true,
} satisfies Prisma.SecretSelect;

export type SecretSummary = Prisma.SecretGetPayload<{ select: typeof secretSummarySelect }>;

export interface SealedSecret {
  ciphertext: Uint8Array;
  iv: Uint8Array;
  authTag: Uint8Array;
}

export async function upsertSecretRow(options: {
  name: string;
  sealed: SealedSecret;
  updatedBy: string | null;
  tx: Transaction;
}): Promise<{ created: boolean }> {
  const data = {
    ciphertext: Buffer.from(options.sealed.ciphertext),
    iv: Buffer.from(options.sealed.iv),
    authTag: Buffer.from(options.sealed.authTag),
    updatedBy: options.updatedBy,
  };
  const existing = await options.tx.secret.findUnique({ where: { name: options.name }, select: { id: true } });
  await options.tx.secret.upsert({
    where: { name: options.name },
    create: { name: options.name, ...data },
    update: data,
    select: { id: true },
  });
  return { created: existing === null };
}

export async function deleteSecretRow(name: string, tx: Transaction): Promise<boolean> {
  return (await tx.secret.deleteMany({ where: { name } })).count === 1;
}

export function listSecretRows(): Promise<SecretSummary[]> {
  return db().secret.findMany({ orderBy: { name: "asc" }, select: secretSummarySelect });
}

export function findSecretSummary(name: string): Promise<SecretSummary | null> {
  return db().secret.findUnique({ where: { name }, select: secretSummarySelect });
}

export async function findSealedSecret(name: string): Promise<SealedSecret | null> {
  return db().secret.findUnique({ where: { name }, select: { ciphertext: true, iv: true, authTag: true } });
}
