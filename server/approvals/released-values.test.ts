import { describe, expect, it } from "vitest";
import { createSecretReadTool } from "../testing/test-tools";
import { defineTool } from "../tools/define-tool";
import { createToolRegistry } from "../tools/registry";
import { sensitiveValuesFrom, sensitiveValuesOf } from "./released-values";

const precise = createSecretReadTool({ valueOf: () => "unused" });

const broken = defineTool({
  ...precise,
  name: "read_vault",
  sensitiveValues: () => {
    throw new Error("cannot say");
  },
});

const output = { name: "STRIPE_KEY", value: "sk_live_abcdefgh" };

describe("released values", () => {
  it("are what the tool says its output reveals", () => {
    expect(sensitiveValuesOf(precise, output)).toEqual(["sk_live_abcdefgh"]);
  });

  it("fall back to every string of the output when the tool cannot say, or is gone", () => {
    for (const tool of [broken, undefined]) {
      expect(sensitiveValuesOf(tool, output)).toEqual(expect.arrayContaining(["STRIPE_KEY", "sk_live_abcdefgh"]));
    }
  });

  it("are gathered across a conversation's results, each by its own tool", () => {
    const tools = createToolRegistry([precise, broken]);
    const values = sensitiveValuesFrom(
      [
        { toolName: "read_secret", result: output },
        { toolName: "read_vault", result: { name: "DB_PASSWORD", value: "hunter2-hunter2" } },
        { toolName: "removed_tool", result: "line-one-secret\nTOKEN=abcdef123456" },
      ],
      tools,
    );
    expect(values.has("sk_live_abcdefgh")).toBe(true);
    expect(values.has("STRIPE_KEY")).toBe(false);
    expect(values.has("DB_PASSWORD")).toBe(true);
    expect(values.has("hunter2-hunter2")).toBe(true);
    expect(values.has("abcdef123456")).toBe(true);
  });
});
