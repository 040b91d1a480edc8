import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineTool } from "../tools/define-tool";
import { toFunctionTools, toPrompt, UnsupportedPartError } from "./prompt";

const history: ModelMessage[] = [
  { role: "user", content: [{ type: "text", text: "What is the weather in Oslo?" }] },
  {
    role: "assistant",
    content: [
      { type: "text", text: "Let me check." },
      { type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: { city: "Oslo" } },
    ],
  },
  {
    role: "tool",
    content: [
      {
        type: "tool-result",
        toolCallId: "call_1",
        toolName: "get_weather",
        output: { type: "json", value: { celsius: 12 } },
      },
    ],
  },
];

describe("toPrompt", () => {
  it("puts the system prompt first and maps every stored part onto the provider's prompt", () => {
    expect(toPrompt("Be brief.", history)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "What is the weather in Oslo?" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me check." },
          { type: "tool-call", toolCallId: "call_1", toolName: "get_weather", input: { city: "Oslo" } },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "call_1",
            toolName: "get_weather",
            output: { type: "json", value: { celsius: 12 } },
          },
        ],
      },
    ]);
  });

  it("converts each message once, so a long run does not pay for its history again every step", () => {
    const first = toPrompt("s", history);
    const second = toPrompt("s", history);
    for (let index = 1; index < first.length; index++) expect(second[index]).toBe(first[index]);
  });

  it("leaves out an assistant turn that said nothing", () => {
    const prompt = toPrompt("s", [history[0] as ModelMessage, { role: "assistant", content: [] }]);
    expect(prompt.map((message) => message.role)).toEqual(["system", "user"]);
  });

  it("refuses a part it cannot send, naming it, instead of sending something else", () => {
    const withImage = [
      { role: "user", content: [{ type: "image", image: "https://example.com/cat.png" }] },
    ] as unknown as ModelMessage[];
    expect(() => toPrompt("s", withImage)).toThrow(UnsupportedPartError);
    expect(() => toPrompt("s", withImage)).toThrow(/"image"/);
  });
});

describe("toFunctionTools", () => {
  it("shows the model each tool's name, description and the JSON Schema of its zod input", async () => {
    const tools = [
      defineTool({
        name: "get_weather",
        description: "Current weather for a city",
        input: z.object({ city: z.string().describe("City name") }),
        output: z.object({ celsius: z.number() }),
        risk: "READ",
        execute: async () => ({ celsius: 12 }),
      }),
    ];
    const [weather] = await toFunctionTools(tools);
    expect(weather).toMatchObject({ type: "function", name: "get_weather", description: "Current weather for a city" });
    expect(weather?.inputSchema).toMatchObject({
      type: "object",
      properties: { city: { type: "string", description: "City name" } },
      required: ["city"],
    });
  });
});
