/**
 * AES-256-GCM sealing of stored secrets: the admin's secrets that read_secret opens
 * (tools/secrets) and the providers' API keys (models/model-config). It lives below both
 * so that models and tools meet only in the agent. The secret's name is the associated
 * data, so a ciphertext copied onto another name fails to open instead of answering for it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SealedSecret } from "../db/secrets";

export const SECRETS_KEY_BYTES = 32;

export class SecretsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretsKeyError";
  }
}

export function parseSecretsKey(base64: string): Buffer {
  const key = Buffer.from(base64, "base64");
  if (key.length !== SECRETS_KEY_BYTES) {
    throw new SecretsKeyError(`SECRETS_KEY must be ${SECRETS_KEY_BYTES} bytes in base64 (openssl rand -base64 32).`);
  }
  return key;
}

export function sealSecret(key: Buffer, name: string, value: string): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(name, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return { ciphertext, iv, authTag: cipher.getAuthTag() };
}

export function openSecret(key: Buffer, name: string, sealed: SealedSecret): string {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv));
    decipher.setAAD(Buffer.from(name, "utf8"));
    decipher.setAuthTag(Buffer.from(sealed.authTag));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext)), decipher.final()]).toString("utf8");
  } catch {
    // Never echo what failed to decrypt: only that it did, and the likely cause.
    throw new SecretsKeyError(
      `The secret ${name} cannot be decrypted: SECRETS_KEY is not the key it was stored with, or the row was altered.`,
    );
  }
}
