/**
 * Rules over tool-name patterns and the policy of imported MCP tools. A pattern is hostile
 * input to a glob: only `*` is special, so a whole class of names with regular-expression
 * characters is compared with a reference matcher; an unconfirmed MCP tool never runs
 * without a reviewer whatever rules or overrides say.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decide, toolNameMatches } from "./decide";
import { DEFAULT_POLICY_SETTINGS, type ImportedToolPolicy, type PolicyConfig, type PolicyRule } from "./types";

const actor = { id: "u1", role: "USER" as const };

/** The reference: a linear scan with backtracking over literal pieces (no regular expression). */
function reference(pattern: string, name: string): boolean {
  const match = (p: number, n: number): boolean => {
    if (p === pattern.length) return n === name.length;
    if (pattern[p] === "*") return match(p + 1, n) || (n < name.length && match(p, n + 1));
    return n < name.length && pattern[p] === name[n] && match(p + 1, n + 1);
  };
  return match(0, 0);
}

const ALPHABET = ["a", "b", "_", "*", ".", "+", "?", "(", ")", "[", "]", "\\", "^", "$", "|", "{", "}"];

describe("tool-name patterns", () => {
  it.each([
    ["github__*", "github__create_issue", true],
    ["github__*", "github__", true],
    ["github__*", "gitlab__create_issue", false],
    ["github__*", "my_github__x", false],
    ["*__delete_*", "jira__delete_ticket", true],
    ["*__delete_*", "jira__delete_", true],
    ["*__delete_*", "jira__undelete_ticket", false],
    ["*__delete_*", "delete_file", false],
    ["*", "anything", true],
    ["read_file", "read_file", true],
    ["read_file", "read_files", false],
    [".*", "read_file", false],
    ["a.c", "abc", false],
    ["a+", "aa", false],
    ["(a|b)*", "a", false],
    ["a*a", "a", false],
    ["a*a", "aa", true],
  ])("%s against %s is %s", (pattern, name, expected) => {
    expect(toolNameMatches(pattern, name)).toBe(expected);
  });

  it("agrees with the reference matcher on names full of regular-expression characters", () => {
    const text = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }).map((chars) => chars.join(""));
    fc.assert(
      fc.property(text, text, (pattern, name) => {
        const cleanName = name.replaceAll("*", "");
        expect(toolNameMatches(pattern, cleanName)).toBe(reference(pattern, cleanName));
      }),
      { seed: 1302, numRuns: 3_000 },
    );
  });

  it("prefers an exact name to a pattern, and a pattern to *", () => {
    const rules: PolicyRule[] = [
      {
        id: "every",
        toolName: "*",
        description: "every tool",
        conditions: [],
        effect: { decision: "DENY" },
        enabled: true,
        position: 0,
      },
      {
        id: "github",
        toolName: "github__*",
        description: "github",
        conditions: [],
        effect: { riskClass: "DESTRUCTIVE" },
        enabled: true,
        position: 1,
      },
      {
        id: "exact",
        toolName: "github__list_repos",
        description: "exact",
        conditions: [],
        effect: { riskClass: "SENSITIVE_READ" },
        enabled: true,
        position: 2,
      },
    ];
    const config: PolicyConfig = { version: 3, toolClasses: {}, rules, settings: DEFAULT_POLICY_SETTINGS };
    const decideFor = (toolName: string) =>
      decide({ toolName, tool: { defaultRisk: "READ" }, args: {}, facts: {}, actor }, config);
    expect(decideFor("github__list_repos").matchedRuleId).toBe("exact");
    expect(decideFor("github__delete_repo")).toMatchObject({ matchedRuleId: "github", riskClass: "DESTRUCTIVE" });
    expect(decideFor("jira__list")).toMatchObject({ matchedRuleId: "every", decision: "DENY" });
  });
});

function imported(partial: Partial<ImportedToolPolicy> = {}): ImportedToolPolicy {
  return {
    server: "github",
    hintReasons: ["the server says it only reads"],
    confirmation: "new",
    newToolMode: "NEEDS_APPROVAL",
    ...partial,
  };
}

function decideImported(options: {
  hint?: "READ" | "DESTRUCTIVE";
  imported: ImportedToolPolicy;
  rules?: PolicyRule[];
  toolClasses?: PolicyConfig["toolClasses"];
}) {
  return decide(
    {
      toolName: "github__list_repos",
      tool: { defaultRisk: options.hint ?? "READ", imported: options.imported },
      args: {},
      facts: {},
      actor,
    },
    {
      version: 4,
      toolClasses: options.toolClasses ?? {},
      rules: options.rules ?? [],
      settings: DEFAULT_POLICY_SETTINGS,
    },
  );
}

describe("imported MCP tools", () => {
  it("needs a reviewer for a tool no admin confirmed, even when its annotations say it only reads", () => {
    const decision = decideImported({ imported: imported() });
    expect(decision).toMatchObject({ decision: "REQUIRE_APPROVAL", riskClass: "READ", requiredApprovals: 1 });
    expect(decision.reasons.join(" ")).toMatch(/no admin has confirmed/);
    expect(decision.reasons.join(" ")).toMatch(/MCP annotations/);
  });

  it("runs a confirmed READ at once and holds a confirmed DESTRUCTIVE for a reviewer", () => {
    expect(decideImported({ imported: imported({ confirmation: "confirmed", confirmedClass: "READ" }) }).decision).toBe(
      "ALLOW",
    );
    expect(
      decideImported({ imported: imported({ confirmation: "confirmed", confirmedClass: "DESTRUCTIVE" }) }),
    ).toMatchObject({ decision: "REQUIRE_APPROVAL", riskClass: "DESTRUCTIVE" });
  });

  it("falls back to needing a reviewer when the definition changed after a confirmation", () => {
    const decision = decideImported({ imported: imported({ confirmation: "changed", confirmedClass: "READ" }) });
    expect(decision.decision).toBe("REQUIRE_APPROVAL");
    expect(decision.reasons.join(" ")).toMatch(/definition changed/);
  });

  it("refuses every call of an unconfirmed tool when its server disables new tools", () => {
    expect(decideImported({ imported: imported({ newToolMode: "DISABLED" }) }).decision).toBe("DENY");
    expect(
      decideImported({
        imported: imported({ newToolMode: "DISABLED", confirmation: "confirmed", confirmedClass: "READ" }),
      }).decision,
    ).toBe("ALLOW");
  });

  it("uses the server's default class before the annotations' hint", () => {
    const decision = decideImported({
      imported: imported({ serverDefault: "DESTRUCTIVE", confirmation: "changed" }),
    });
    expect(decision.riskClass).toBe("DESTRUCTIVE");
    expect(decision.reasons[0]).toMatch(/default class of the MCP server github/);
  });

  it("lets no rule or override make an unconfirmed tool run unreviewed", () => {
    const allowAll: PolicyRule = {
      id: "allow",
      toolName: "github__*",
      description: "allow github",
      conditions: [],
      effect: { decision: "ALLOW", riskClass: "READ", confirmedLowering: true },
      enabled: true,
      position: 0,
    };
    expect(decideImported({ imported: imported(), rules: [allowAll] }).decision).toBe("REQUIRE_APPROVAL");
    expect(decideImported({ imported: imported(), toolClasses: { github__list_repos: "READ" } }).decision).toBe(
      "REQUIRE_APPROVAL",
    );
  });
});
