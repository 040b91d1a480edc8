import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  collectSensitiveStrings,
  createStreamMasker,
  HIDDEN,
  MIN_LENGTH,
  maskDeep,
  maskSensitive,
} from "./sensitive-values";

/** What a hostile value is made of: quotes, backslashes, line breaks, control characters, any Unicode. */
const hostileCharacter = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('"', "\\", "\n", "\r", "\t", "'", "/", "%", "+", "=", "&", " ", "\u0000") },
  { weight: 1, arbitrary: fc.constantFrom("\u2028", "\u00e9", "\u{1F511}", "\ud800", "\u0007", "\u007f") },
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 6, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }) },
);
const hostileValue = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: hostileCharacter, minLength: MIN_LENGTH, maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: hostileCharacter, minLength: 400, maxLength: 1200 }) },
);
const surroundings = fc.string({ unit: "grapheme-ascii", maxLength: 30 });

function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** Written here independently of the masker: how a value travels, and the text that betrays it. */
function carriers(value: string, random: { prefix: number[]; suffix: number[] }): { text: string; betrays: string }[] {
  const json = (text: string) => JSON.stringify(text).slice(1, -1);
  const ascii = (text: string) =>
    [...json(text)]
      .map((unit) =>
        unit.length === 1 && unit.charCodeAt(0) >= 0x20 && unit.charCodeAt(0) < 0x7f
          ? unit
          : unit
              .split("")
              .map((half) => `\\u${half.charCodeAt(0).toString(16).padStart(4, "0")}`)
              .join(""),
      )
      .join("");
  const bytes = Buffer.from(value, "utf8");
  const forms: { text: string; betrays: string }[] = [
    { text: value, betrays: value },
    { text: JSON.stringify({ value }), betrays: json(value) },
    { text: JSON.stringify({ nested: JSON.stringify({ value }) }), betrays: json(json(value)) },
    { text: ascii(value), betrays: ascii(value) },
    {
      text: new URLSearchParams({ q: value }).toString(),
      betrays: new URLSearchParams({ q: value }).toString().slice(2),
    },
    { text: bytes.toString("hex"), betrays: bytes.toString("hex") },
    { text: bytes.toString("base64"), betrays: bytes.toString("base64") },
    { text: bytes.toString("base64url"), betrays: bytes.toString("base64url") },
  ];
  if (!hasLoneSurrogate(value)) {
    forms.push({ text: `https://example.test/?q=${encodeURIComponent(value)}`, betrays: encodeURIComponent(value) });
  }
  // Inside a larger base64 string, at whatever alignment the prefix leaves it.
  const framed = Buffer.concat([Buffer.from(random.prefix), bytes, Buffer.from(random.suffix)]);
  const offset = random.prefix.length;
  for (const alphabet of ["base64", "base64url"] as const) {
    const encoded = framed.toString(alphabet);
    const stable = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    forms.push({ text: encoded, betrays: stable });
  }
  for (const line of value.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed.length >= MIN_LENGTH && /[\p{L}\p{N}]/u.test(trimmed) && trimmed !== value) {
      forms.push({ text: `    ${trimmed}\n`, betrays: trimmed });
      forms.push({ text: JSON.stringify(`> ${trimmed}`), betrays: json(trimmed) });
    }
  }
  return forms.filter((form) => form.betrays.length >= MIN_LENGTH);
}

/** A leak is a betraying text in what is left between the markers. */
function leaks(masked: string, betrays: string): boolean {
  return masked.split(HIDDEN).some((segment) => segment.includes(betrays));
}

const randomBytes = fc.record({
  prefix: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 7 }),
  suffix: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 7 }),
});

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

  it("hides the reported case: a value with a quote, a backslash and a newline, as a model quotes it in JSON", () => {
    const secret = 'pa"ss\\word\nline-two-of-it';
    const quoted = `Here it is:\n\`\`\`json\n${JSON.stringify({ name: "DB", value: secret }, null, 2)}\n\`\`\``;
    const masked = maskSensitive(quoted, [secret]);
    expect(masked).not.toContain('pa\\"ss');
    expect(masked).not.toContain("line-two-of-it");
    expect(masked).toContain('"name": "DB"');
  });

  it("short lines of a multi-line value are not hidden alone, long ones are", () => {
    const secret = '{\n  "key": "abcdefgh"\n}';
    const masked = maskSensitive('function f() {\n  return 1;\n}\nand "key": "abcdefgh" here', [secret]);
    expect(masked).toBe(`function f() {\n  return 1;\n}\nand ${HIDDEN} here`);
  });

  it("a short value is hidden where a structured result holds it whole, not inside other words", () => {
    expect(maskDeep({ pin: "4711", note: "room 4711b" }, ["4711"])).toEqual({ pin: HIDDEN, note: "room 4711b" });
  });

  it("overlapping values leave no part of either", () => {
    expect(maskSensitive("xx-abcdefgh12-xx", ["abcdefgh", "efgh12"])).toBe(`xx-${HIDDEN}-xx`);
  });

  it("no form of a hostile value survives masking, in text, in JSON values or in a stream", () => {
    fc.assert(
      fc.property(hostileValue, surroundings, surroundings, randomBytes, (value, before, after, random) => {
        for (const carrier of carriers(value, random)) {
          const text = `${before}${carrier.text}${after}`;
          const masked = maskSensitive(text, [value]);
          expect(
            leaks(masked, carrier.betrays),
            `${JSON.stringify([...value].map((c) => c.codePointAt(0)))} ${JSON.stringify(carrier)} in ${JSON.stringify(masked)}`,
          ).toBe(false);
          const deep = maskDeep({ parts: [{ type: "text", text }] }, [value]);
          expect(leaks(JSON.stringify(deep), carrier.betrays)).toBe(false);
          const masker = createStreamMasker(() => new Set([value]));
          let streamed = "";
          for (let position = 0; position < text.length; position += 7)
            streamed += masker.push(text.slice(position, position + 7));
          streamed += masker.flush();
          expect(streamed).toBe(masked);
        }
      }),
      { numRuns: 120, seed: 20261201 },
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
