/**
 * Namespaced names are valid for every provider, stable, and collision-safe whatever names
 * a server sends; the definition hash moves with anything the model or a reviewer relies on.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { definitionDiff, definitionHash, definitionOf, hintedClass, namespacedToolNames } from "./definition";

const VALID = /^[a-z][a-z0-9_]{0,63}$/;

describe("namespaced tool names", () => {
  it("keeps lower_snake names and rewrites others readably", () => {
    const names = namespacedToolNames("github", ["create_issue", "get-env", "getFileContents"]);
    expect([...names.values()]).toEqual(["github__create_issue", "github__get_env", "github__get_file_contents"]);
  });

  it("keeps names apart that meet in the same snake form, and cuts long ones to 64 characters", () => {
    const long = "x".repeat(100);
    const names = namespacedToolNames("srv", ["get-env", "get_env", "GET ENV", long, `${long}y`]);
    expect(names.get("get_env")).toBe("srv__get_env");
    expect(new Set(names.values()).size).toBe(5);
    for (const name of names.values()) expect(name).toMatch(VALID);
  });

  it("gives every listing of hostile names valid, unique names that do not depend on the order", () => {
    const hostile = fc.string({
      unit: fc.constantFrom("a", "B", "_", "-", ".", " ", "__", "é", "💥", "*", "/", "0"),
      maxLength: 80,
    });
    fc.assert(
      fc.property(fc.uniqueArray(hostile, { maxLength: 12 }), (remote) => {
        const names = namespacedToolNames("a_server_name_of_24_char", remote);
        const values = [...names.values()];
        for (const name of values) expect(name).toMatch(VALID);
        expect(new Set(values).size).toBe(new Set(remote).size);
        const reversed = namespacedToolNames("a_server_name_of_24_char", [...remote].reverse());
        for (const name of remote) expect(reversed.get(name)).toBe(names.get(name));
      }),
      { seed: 1313, numRuns: 500 },
    );
  });
});

describe("definitions", () => {
  const tool = {
    name: "echo",
    description: "Echoes",
    inputSchema: { type: "object" },
    annotations: { readOnlyHint: true },
  };

  it("hashes every part of the definition, in any key order", () => {
    const hash = definitionHash(tool);
    expect(
      definitionHash({
        annotations: { readOnlyHint: true },
        inputSchema: { type: "object" },
        description: "Echoes",
        name: "echo",
      }),
    ).toBe(hash);
    expect(definitionHash({ ...tool, description: "Echoes." })).not.toBe(hash);
    expect(definitionHash({ ...tool, annotations: { readOnlyHint: false } })).not.toBe(hash);
    expect(definitionHash({ ...tool, outputSchema: { type: "object" } })).not.toBe(hash);
    expect(definitionHash({ ...tool, inputSchema: { type: "object", properties: { a: {} } } })).not.toBe(hash);
  });

  it("diffs only what changed", () => {
    expect(definitionDiff(definitionOf(tool), definitionOf({ ...tool, description: "Evil" }))).toEqual({
      description: { before: "Echoes", after: "Evil" },
    });
  });

  it("reads annotations with the spec's defaults", () => {
    expect(hintedClass({ readOnlyHint: true, openWorldHint: false })).toEqual({
      riskClass: "READ",
      reasons: [expect.stringMatching(/only reads/)],
    });
    expect(hintedClass(null).riskClass).toBe("DESTRUCTIVE");
    expect(hintedClass(null).reasons.join(" ")).toMatch(/openWorldHint/);
    expect(hintedClass({ destructiveHint: false }).riskClass).toBe("DESTRUCTIVE");
    expect(hintedClass({ readOnlyHint: "true" }).riskClass).toBe("DESTRUCTIVE");
  });
});
