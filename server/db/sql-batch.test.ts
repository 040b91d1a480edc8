import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../testing/database";
import { jsonb, literal, runInOneRoundTrip, sql } from "./sql-batch";

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.query(`CREATE TABLE probe (id serial PRIMARY KEY, text_value text, json_value jsonb)`);
});
afterAll(async () => database?.drop());

const NASTY = [
  `'; DROP TABLE "Run"; --`,
  `\\'; DROP TABLE "Run"; --`,
  "back\\slash \\\\ and \\' quote",
  "$1 $2 $$ dollar $$ quoting $tag$",
  "line\nbreak\ttab\r",
  "emoji 🚀 and ünïcödé and \u202Eright-to-left",
  "nul\u0000inside",
  "E'escape' ::jsonb) ; SELECT 1",
];

describe("values inlined into one-round-trip batches", () => {
  it("round-trip exactly (NUL aside) and never become SQL", async () => {
    for (const value of NASTY) {
      await runInOneRoundTrip([
        sql(`INSERT INTO probe (text_value, json_value) VALUES ($1, $2)`, value, jsonb({ value, list: [value] })),
      ]);
    }
    const rows = await database.query<{ text_value: string; json_value: { value: string; list: string[] } }>(
      `SELECT text_value, json_value FROM probe ORDER BY id`,
    );
    expect(rows).toHaveLength(NASTY.length);
    rows.forEach((row, index) => {
      const expected = (NASTY[index] as string).replaceAll("\u0000", "\uFFFD");
      expect(row.text_value).toBe(expected);
      expect(row.json_value).toEqual({ value: expected, list: [expected] });
    });
    const tables = await database.query<{ count: string }>(`SELECT count(*) FROM pg_tables WHERE tablename = 'Run'`);
    expect(tables[0]?.count).toBe("1");
  });

  it("a failing statement rolls the whole batch back", async () => {
    const before = await database.query<{ count: string }>(`SELECT count(*) FROM probe`);
    await expect(
      runInOneRoundTrip([sql(`INSERT INTO probe (text_value) VALUES ($1)`, "kept?"), `SELECT 1/0`]),
    ).rejects.toThrow(/division by zero/);
    const after = await database.query<{ count: string }>(`SELECT count(*) FROM probe`);
    expect(after[0]?.count).toBe(before[0]?.count);
  });

  it("refuses numbers SQL cannot hold instead of writing garbage", () => {
    expect(() => literal(Number.NaN)).toThrow();
    expect(() => literal(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => sql("SELECT $2", 1)).toThrow(/No value for \$2/);
  });
});
