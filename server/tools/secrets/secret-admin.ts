/**
 * The secret store as the admin console uses it: names and dates out, values only in.
 * A missing SECRETS_KEY becomes a clear, typed error instead of a server error.
 */

import { SecretsKeyError } from "../../crypto/secret-box";
import { secretsKeyFromEnv } from "../../crypto/secrets-key";
import { AirlockError } from "../../errors";
import { deleteSecret, listSecrets, setSecret } from "./secret-store";

export function listSecretNames() {
  return listSecrets();
}

export async function storeSecret(options: { name: string; value: string; actorId: string }) {
  let key: Buffer;
  try {
    key = secretsKeyFromEnv();
  } catch (error) {
    if (error instanceof SecretsKeyError) throw new AirlockError("admin:secrets-key-missing", error.message);
    throw error;
  }
  return setSecret({ ...options, key });
}

export async function removeSecret(options: { name: string; actorId: string }) {
  if (!(await deleteSecret(options))) {
    throw new AirlockError("admin:not-found", `There is no secret named ${options.name}.`);
  }
}
