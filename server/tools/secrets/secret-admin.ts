/**
 * The secret store as the admin console uses it: names and dates out, values only in.
 * A missing SECRETS_KEY becomes a clear, typed error instead of a server error.
 */

import { secretsKeyForAdminChange } from "../../crypto/secrets-key";
import { AirlockError } from "../../errors";
import { deleteSecret, listSecrets, setSecret } from "./secret-store";

export function listSecretNames() {
  return listSecrets();
}

export async function storeSecret(options: { name: string; value: string; actorId: string }) {
  return setSecret({ ...options, key: secretsKeyForAdminChange() });
}

export async function removeSecret(options: { name: string; actorId: string }) {
  if (!(await deleteSecret(options))) {
    throw new AirlockError("admin:not-found", `There is no secret named ${options.name}.`);
  }
}
