import { describe, expect, it } from "vitest";
import { openSecret, parseSecretsKey, sealSecret } from "./secret-box";

describe("the secret box", () => {
  it("seals values so that only the same key and name open them", () => {
    const key = parseSecretsKey(Buffer.alloc(32, 1).toString("base64"));
    const sealed = sealSecret(key, "A", "value");
    expect(openSecret(key, "A", sealed)).toBe("value");
    expect(() => openSecret(key, "B", sealed)).toThrow(/cannot be decrypted/);
    expect(() => openSecret(Buffer.alloc(32, 2), "A", sealed)).toThrow(/cannot be decrypted/);
    expect(() => parseSecretsKey("c2hvcnQ=")).toThrow(/32 bytes/);
  });

  it("refuses a ciphertext, an iv or a tag that was altered, without echoing the value", () => {
    const key = parseSecretsKey(Buffer.alloc(32, 3).toString("base64"));
    const sealed = sealSecret(key, "A", "the-value");
    const flipped = (bytes: Uint8Array) => {
      const copy = Buffer.from(bytes);
      copy[0] = (copy[0] ?? 0) ^ 1;
      return copy;
    };
    for (const altered of [
      { ...sealed, ciphertext: flipped(sealed.ciphertext) },
      { ...sealed, iv: flipped(sealed.iv) },
      { ...sealed, authTag: flipped(sealed.authTag) },
    ]) {
      expect(() => openSecret(key, "A", altered)).toThrow(/cannot be decrypted/);
      expect(() => openSecret(key, "A", altered)).not.toThrow(/the-value/);
    }
  });
});
