import { describe, expect, it } from "vitest";
import {
  int32,
  int32Cursor,
  int64Cursor,
  jsonValue,
  MAX_JSON_DEPTH,
  recordId,
  replaceUnstorableJson,
  replaceUnstorableText,
  storedDate,
  text,
} from "./text";

function messageOf(result: { success: boolean; error?: { issues: { message: string }[] } }): string | undefined {
  return result.success ? undefined : result.error?.issues.map((issue) => issue.message).join("; ");
}

describe("text", () => {
  it("refuses NUL and lone surrogates with a message, and keeps paired surrogates and other text as sent", () => {
    const schema = text(50);
    expect(messageOf(schema.safeParse("a\u0000b"))).toContain("NUL");
    expect(messageOf(schema.safeParse("a\ud800"))).toContain("unpaired");
    expect(messageOf(schema.safeParse("\udc00a"))).toContain("unpaired");
    expect(messageOf(schema.safeParse("\udc00\ud800"))).toContain("unpaired");
    for (const fine of ["", "plain", "emoji 😀 ok", "e\u0301 stays decomposed", "tab\tand\nnewline", "\u0001"]) {
      expect(schema.parse(fine)).toBe(fine);
    }
    expect(messageOf(schema.safeParse("x".repeat(51)))).toBe("At most 50 characters");
  });

  it("trims before measuring when asked to", () => {
    expect(text(3, { trim: true }).parse("  abc  ")).toBe("abc");
    expect(text(3).safeParse("  abc  ").success).toBe(false);
  });
});

describe("ids, numbers, cursors and dates", () => {
  it("accepts Prisma's cuids and UUIDs, and nothing else", () => {
    expect(recordId.safeParse("cmiogqs4c0000j9u6b8r3x2kq").success).toBe(true);
    expect(recordId.safeParse("3b241101-e2bb-4255-8caf-4136c566a962").success).toBe(true);
    for (const bad of [
      "",
      "x",
      "forged",
      "c-no-such-user",
      "CMIOGQS4C0000J9U6B8R3X2KQ",
      "cmiogqs4c0000j9u6b8r3x2k\u0000",
    ]) {
      expect(recordId.safeParse(bad).success, bad).toBe(false);
    }
  });

  it("bounds whole numbers to an Int column", () => {
    expect(int32().parse(2_147_483_647)).toBe(2_147_483_647);
    expect(messageOf(int32().safeParse(2_147_483_648))).toBe("At most 2,147,483,647");
    expect(int32().safeParse(-1).success).toBe(false);
    expect(int32().safeParse(1.5).success).toBe(false);
    expect(int32().safeParse(Number.NaN).success).toBe(false);
  });

  it("bounds cursors to their columns: BigInt for audit events, Int for run events", () => {
    expect(int64Cursor.parse("9223372036854775807")).toBe("9223372036854775807");
    expect(messageOf(int64Cursor.safeParse("9223372036854775808"))).toBe("This cursor is past the last event");
    expect(int64Cursor.safeParse("9".repeat(20)).success).toBe(false);
    expect(int64Cursor.safeParse("-1").success).toBe(false);
    expect(int32Cursor.parse("2147483647")).toBe("2147483647");
    expect(messageOf(int32Cursor.safeParse("2147483648"))).toBe("This event id is past the last event");
    expect(int32Cursor.safeParse("1e3").success).toBe(false);
  });

  it("bounds dates to years 1 to 9999", () => {
    expect(storedDate.safeParse(new Date("0001-01-01T00:00:00Z")).success).toBe(true);
    expect(storedDate.safeParse(new Date("9999-12-31T23:59:59.999Z")).success).toBe(true);
    expect(messageOf(storedDate.safeParse(new Date("0000-12-31T23:59:59.999Z")))).toBe("Dates start at year 1");
    expect(messageOf(storedDate.safeParse(new Date("+010000-01-01T00:00:00Z")))).toBe("Dates end at year 9999");
    expect(storedDate.safeParse(new Date(8.64e15)).success).toBe(false);
    expect(storedDate.safeParse(new Date(Number.NaN)).success).toBe(false);
  });
});

describe("jsonValue", () => {
  it("accepts what jsonb stores and refuses what it cannot, wherever it hides", () => {
    expect(jsonValue.parse({ path: "a", n: [1, true, null, { "😀": "ok" }] })).toEqual({
      path: "a",
      n: [1, true, null, { "😀": "ok" }],
    });
    expect(messageOf(jsonValue.safeParse({ deep: [{ text: "a\u0000" }] }))).toContain("NUL");
    expect(messageOf(jsonValue.safeParse({ "key\u0000": 1 }))).toContain("(in a key)");
    expect(messageOf(jsonValue.safeParse({ key: "\ud800" }))).toContain("unpaired");
    expect(messageOf(jsonValue.safeParse({ n: Number.POSITIVE_INFINITY }))).toBe("Numbers must be finite");
    expect(messageOf(jsonValue.safeParse({ n: 10n }))).toBe("Only JSON values are accepted, not bigint");
    expect(messageOf(jsonValue.safeParse({ d: new Date() }))).toBe("Only JSON values are accepted, not a date");
    expect(messageOf(jsonValue.safeParse(new Map()))).toBe("Only JSON values are accepted, not object");
  });

  it("refuses nesting deeper than its limit without walking the stack", () => {
    let value: unknown = "bottom";
    for (let level = 0; level < 100_000; level++) value = { deeper: value };
    expect(messageOf(jsonValue.safeParse(value))).toBe(`Nested at most ${MAX_JSON_DEPTH} levels deep`);
  });
});

describe("replacing what cannot be stored (a model's output)", () => {
  it("puts U+FFFD in place of NUL and lone surrogates, in values and keys, and leaves pairs alone", () => {
    expect(replaceUnstorableText("a\u0000b\ud800c\udc00 😀")).toBe("a\ufffdb\ufffdc\ufffd 😀");
    expect(replaceUnstorableJson({ "k\u0000": ["\ud83d", 1, null, { x: "ok" }] })).toEqual({
      "k\ufffd": ["\ufffd", 1, null, { x: "ok" }],
    });
  });

  it("throws on nesting past the limit instead of walking the stack down", () => {
    let value: unknown = "bottom";
    for (let level = 0; level < 100_000; level++) value = [value];
    expect(() => replaceUnstorableJson(value)).toThrow(RangeError);
  });
});
