import { describe, expect, it } from "vitest";
import { type Binding, bindingHash } from "./binding";

const base: Binding = {
  toolName: "delete_file",
  args: { path: "a.txt", options: { recursive: false, depth: 1 } },
  toolVersion: "v1",
  policyVersion: 3,
};

describe("bindingHash", () => {
  it("is a SHA-256 that ignores the order in which the arguments' keys were written", () => {
    const hash = bindingHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(bindingHash({ ...base, args: { options: { depth: 1, recursive: false }, path: "a.txt" } })).toBe(hash);
  });

  it.each<[string, Partial<Binding>]>([
    ["the tool", { toolName: "delete_files" }],
    ["an argument", { args: { path: "b.txt", options: { recursive: false, depth: 1 } } }],
    ["a nested argument", { args: { path: "a.txt", options: { recursive: true, depth: 1 } } }],
    ["an argument's type", { args: { path: "a.txt", options: { recursive: false, depth: "1" } } }],
    ["an added argument", { args: { ...(base.args as object), force: true } }],
    ["the tool's definition version", { toolVersion: "v2" }],
    ["the policy version", { policyVersion: 4 }],
  ])("changes when %s changes", (_what, change) => {
    expect(bindingHash({ ...base, ...change })).not.toBe(bindingHash(base));
  });

  it("keeps the fields apart: a value moved from one field into another is another binding", () => {
    expect(bindingHash({ ...base, toolName: "a", toolVersion: "bc" })).not.toBe(
      bindingHash({ ...base, toolName: "ab", toolVersion: "c" }),
    );
  });
});
