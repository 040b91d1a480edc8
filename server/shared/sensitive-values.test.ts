import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectSensitiveStrings, createStreamMasker, HIDDEN, maskSensitive } from "./sensitive-values";

describe("sensitive value masking", () => {
  it("collects strings, lines and KEY=value values", () => {
    const values = collectSensitiveStrings({ content: "API_KEY=abc123xyz\nDEBUG=1\nPASSWORD='hunter22'", size: 3 });
    expect(values).toContain("abc123xyz");
    expect(values).toContain("hunter22");
    expect(values).not.toContain("1");
  });

  it("masks the longest value first", () => {
    expect(maskSensitive("token sk_live_123456 and sk_live_12", ["sk_live_12", "sk_live_123456"])).toBe(
      `token ${HIDDEN} and ${HIDDEN}`,
    );
  });

  it("never emits any part of a value, however the stream is split", () => {
    const secret = "sk_test_4eC39HqLyjWDarjtT1zdp7dc";
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 40 }),
        (before, after, cuts) => {
          const text = `${before}${secret}${after}`;
          const masker = createStreamMasker(() => new Set([secret]));
          let emitted = "";
          let position = 0;
          for (const cut of cuts) {
            if (position >= text.length) break;
            emitted += masker.push(text.slice(position, position + cut));
            position += cut;
          }
          emitted += masker.push(text.slice(position));
          emitted += masker.flush();
          expect(emitted).not.toContain(secret.slice(0, 12));
          expect(emitted).toBe(maskSensitive(text, [secret]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
