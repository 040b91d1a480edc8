/**
 * The admin side of the secret store: set, delete and list secrets. Values are sealed
 * before they reach the database and never leave this module in clear; the audit event
 * of a change names the secret and the admin, never the value. Role checks belong to the
 * caller (an adminProcedure); these functions trust the actor they are given.
 */
import { recordAuditEvent } from "../../audit/record-audit-event";
import { sealSecret } from "../../crypto/secret-box";
import { deleteSecretRow, listSecretRows, type SecretSummary, upsertSecretRow } from "../../db/secrets";
import { inTransaction } from "../../db/transaction";
import { secretName, secretValue } from "../../shared/secret-schemas";

export { secretName, secretValue };

export async function setSecret(options: {
  name: string;
  value: string;
  actorId: string | null;
  key: Buffer;
}): Promise<{ created: boolean }> {
  const name = secretName.parse(options.name);
  const sealed = sealSecret(options.key, name, secretValue.parse(options.value));
  return inTransaction(async (tx) => {
    const result = await upsertSecretRow({ name, sealed, updatedBy: options.actorId, tx });
    await recordAuditEvent(tx, {
      actorId: options.actorId,
      action: result.created ? "secret.created" : "secret.updated",
      targetType: "secret",
      targetId: name,
    });
    return result;
  });
}

export async function deleteSecret(options: { name: string; actorId: string | null }): Promise<boolean> {
  return inTransaction(async (tx) => {
    const deleted = await deleteSecretRow(options.name, tx);
    if (deleted) {
      await recordAuditEvent(tx, {
        actorId: options.actorId,
        action: "secret.deleted",
        targetType: "secret",
        targetId: options.name,
      });
    }
    return deleted;
  });
}

/** Names and dates only. */
export function listSecrets(): Promise<SecretSummary[]> {
  return listSecretRows();
}

/** Fake secrets for the demo's "read the STRIPE_KEY secret"; each created only when missing. */
const DEMO_SECRETS: Record<string, string> = {
  STRIPE_KEY: "sk_test_demo_4eC39HqLyjWDarjtT1zdp7dc",
  DEMO_API_TOKEN: "demo-token-not-a-real-credential",
};

export async function seedDemoSecrets(key: Buffer): Promise<string[]> {
  const existing = new Set((await listSecretRows()).map((secret) => secret.name));
  const created: string[] = [];
  for (const [name, value] of Object.entries(DEMO_SECRETS)) {
    if (existing.has(name)) continue;
    await setSecret({ name, value, actorId: null, key });
    created.push(name);
  }
  return created;
}
