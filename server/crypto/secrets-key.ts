/**
 * Where the secrets key comes from: SECRETS_KEY, or — for a zero-configuration start — a
 * key the launcher generates once into `<data dir>/secrets-key` (mode 0600) and passes
 * on as SECRETS_KEY, the way it does for the auth secret. Losing that file makes stored
 * secrets unreadable, so it is never overwritten.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "../env";
import { AirlockError } from "../errors";
import { parseSecretsKey, SECRETS_KEY_BYTES, SecretsKeyError } from "./secret-box";

/** Returns the base64 key stored in `dataDir`, generating it on first use. */
export function ensureSecretsKey(dataDir: string): string {
  const file = path.join(dataDir, "secrets-key");
  if (existsSync(file)) {
    const stored = readFileSync(file, "utf8").trim();
    parseSecretsKey(stored);
    return stored;
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(SECRETS_KEY_BYTES).toString("base64");
  // `wx`: if another starter wrote it first, fail here and read theirs below.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: "wx" });
    return key;
  } catch {
    return readFileSync(file, "utf8").trim();
  }
}

/** The configured key; read_secret and the admin secret store fail with a clear message without one. */
export function secretsKeyFromEnv(): Buffer {
  const configured = env().SECRETS_KEY;
  if (!configured) {
    throw new SecretsKeyError(
      "No SECRETS_KEY is configured: start Airlock with `npm start` (which keeps one in the data directory) or set SECRETS_KEY.",
    );
  }
  return parseSecretsKey(configured);
}

/** The key for an admin's change (a stored secret, a provider's API key): without one, a clear, typed refusal instead of a server error. */
export function secretsKeyForAdminChange(): Buffer {
  try {
    return secretsKeyFromEnv();
  } catch (error) {
    if (error instanceof SecretsKeyError) throw new AirlockError("admin:secrets-key-missing", error.message);
    throw error;
  }
}
