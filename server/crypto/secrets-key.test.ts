import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSecretsKey } from "./secret-box";
import { ensureSecretsKey } from "./secrets-key";

describe("the secrets key", () => {
  it("is generated once into the data directory, private, and reused", async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), "airlock-key-"));
    try {
      const first = ensureSecretsKey(path.join(directory, "data"));
      expect(parseSecretsKey(first)).toHaveLength(32);
      expect(ensureSecretsKey(path.join(directory, "data"))).toBe(first);
      const file = path.join(directory, "data", "secrets-key");
      expect((await readFile(file, "utf8")).trim()).toBe(first);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
