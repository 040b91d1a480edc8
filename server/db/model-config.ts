/**
 * Model configuration rows: the providers an admin configured (API keys only as
 * AES-256-GCM ciphertext) and the app settings row with the default model. Every write
 * names the version the admin saw and tells every instance to reload.
 */
import { db } from "./client";
import type { Prisma } from "./generated/client";
import type { SealedSecret } from "./secrets";
import type { Transaction } from "./transaction";

export const MODEL_CONFIG_CHANNEL = "airlock_models";

/** What may be shown: never the key, only its last four characters. */
export const providerSummarySelect = {
  provider: true,
  enabled: true,
  baseUrl: true,
  apiKeyLast4: true,
  models: true,
  version: true,
  updatedAt: true,
  updatedBy: true,
} satisfies Prisma.ProviderConfigSelect;

export type ProviderSummaryRow = Prisma.ProviderConfigGetPayload<{ select: typeof providerSummarySelect }>;

const providerWithKeySelect = {
  ...providerSummarySelect,
  apiKeyCiphertext: true,
  apiKeyIv: true,
  apiKeyAuthTag: true,
} satisfies Prisma.ProviderConfigSelect;

export interface ProviderWithKeyRow extends ProviderSummaryRow {
  sealedKey: SealedSecret | null;
}

export async function listProviderSummaries(tx: Transaction = db()): Promise<ProviderSummaryRow[]> {
  return tx.providerConfig.findMany({ orderBy: { provider: "asc" }, select: providerSummarySelect });
}

export function findProviderSummary(provider: string, tx: Transaction = db()): Promise<ProviderSummaryRow | null> {
  return tx.providerConfig.findUnique({ where: { provider }, select: providerSummarySelect });
}

/** For the process's model registry only: the sealed keys, opened by server/models. */
export async function listProvidersWithKeys(): Promise<ProviderWithKeyRow[]> {
  const rows = await db().providerConfig.findMany({ orderBy: { provider: "asc" }, select: providerWithKeySelect });
  return rows.map(({ apiKeyCiphertext, apiKeyIv, apiKeyAuthTag, ...summary }) => ({
    ...summary,
    sealedKey:
      apiKeyCiphertext && apiKeyIv && apiKeyAuthTag
        ? { ciphertext: apiKeyCiphertext, iv: apiKeyIv, authTag: apiKeyAuthTag }
        : null,
  }));
}

export type KeyChange = { kind: "keep" } | { kind: "clear" } | { kind: "set"; sealed: SealedSecret; last4: string };

function keyColumns(change: KeyChange) {
  if (change.kind === "keep") return {};
  if (change.kind === "clear")
    return { apiKeyCiphertext: null, apiKeyIv: null, apiKeyAuthTag: null, apiKeyLast4: null };
  return {
    apiKeyCiphertext: Buffer.from(change.sealed.ciphertext),
    apiKeyIv: Buffer.from(change.sealed.iv),
    apiKeyAuthTag: Buffer.from(change.sealed.authTag),
    apiKeyLast4: change.last4,
  };
}

/** Creates (expectedVersion 0) or updates the provider row if it is still at the version the admin saw. */
export async function writeProviderConfig(
  tx: Transaction,
  input: {
    provider: string;
    expectedVersion: number;
    enabled: boolean;
    baseUrl: string | null;
    models: string[];
    key: KeyChange;
    updatedBy: string;
  },
): Promise<boolean> {
  const fields = {
    enabled: input.enabled,
    baseUrl: input.baseUrl,
    models: input.models,
    updatedBy: input.updatedBy,
    updatedAt: new Date(),
    ...keyColumns(input.key),
  };
  if (input.expectedVersion === 0) {
    // ON CONFLICT DO NOTHING: if another admin created it first, this is a conflict, not an error.
    const created = await tx.providerConfig.createMany({
      data: [{ provider: input.provider, ...fields }],
      skipDuplicates: true,
    });
    return created.count === 1;
  }
  const updated = await tx.providerConfig.updateMany({
    where: { provider: input.provider, version: input.expectedVersion },
    data: { ...fields, version: { increment: 1 } },
  });
  return updated.count === 1;
}

export async function deleteProviderConfig(tx: Transaction, provider: string, expectedVersion: number) {
  const deleted = await tx.providerConfig.deleteMany({ where: { provider, version: expectedVersion } });
  return deleted.count === 1;
}

export const appSettingsSelect = {
  defaultModelId: true,
  version: true,
  updatedAt: true,
  updatedBy: true,
} satisfies Prisma.AppSettingsSelect;

export type AppSettingsRow = Prisma.AppSettingsGetPayload<{ select: typeof appSettingsSelect }>;

export async function readAppSettings(tx: Transaction = db()): Promise<AppSettingsRow> {
  const row = await tx.appSettings.findUnique({ where: { id: 1 }, select: appSettingsSelect });
  return row ?? { defaultModelId: null, version: 0, updatedAt: new Date(0), updatedBy: null };
}

export async function writeDefaultModel(
  tx: Transaction,
  input: { defaultModelId: string | null; expectedVersion: number; updatedBy: string },
): Promise<boolean> {
  if (input.expectedVersion === 0) {
    const created = await tx.appSettings.createMany({
      data: [{ id: 1, defaultModelId: input.defaultModelId, updatedBy: input.updatedBy }],
      skipDuplicates: true,
    });
    return created.count === 1;
  }
  const updated = await tx.appSettings.updateMany({
    where: { id: 1, version: input.expectedVersion },
    data: {
      defaultModelId: input.defaultModelId,
      version: { increment: 1 },
      updatedAt: new Date(),
      updatedBy: input.updatedBy,
    },
  });
  return updated.count === 1;
}

/** Inside the writing transaction: delivered to every instance when it commits. */
export async function notifyModelConfigChanged(tx: Transaction): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_notify('${MODEL_CONFIG_CHANNEL}', 'changed')`);
}

/** Changes whenever any provider row or the settings row changes (or a row is removed). */
export async function readModelConfigFingerprint(): Promise<string> {
  const rows = await db().$queryRawUnsafe<{ fingerprint: string | null }[]>(
    `SELECT concat_ws('|',
       (SELECT version::text || ':' || coalesce("defaultModelId", '') FROM "AppSettings" WHERE id = 1),
       (SELECT string_agg(provider || ':' || version::text || ':' || (extract(epoch FROM "updatedAt") * 1000)::bigint::text, ',' ORDER BY provider)
          FROM "ProviderConfig")
     ) AS fingerprint`,
  );
  return rows[0]?.fingerprint ?? "";
}
