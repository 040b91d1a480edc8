import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RISK_CLASSES, type RiskClass } from "../shared/risk";
import { globToRegExp } from "./conditions";
import { decide } from "./decide";
import { DEFAULT_POLICY_SETTINGS, type PolicyConfig, type PolicyRule, type ProposedCall } from "./types";

const actor = { id: "u1", role: "USER" as const };

function call(
  toolName: string,
  args: unknown,
  options: Partial<ProposedCall> & { risk?: RiskClass; classified?: RiskClass } = {},
): ProposedCall {
  return {
    toolName,
    tool: {
      defaultRisk: options.risk ?? "READ",
      ...(options.classified ? { classifiedRisk: options.classified } : {}),
    },
    args,
    facts: options.facts ?? {},
    actor: options.actor ?? actor,
  };
}

let ruleCounter = 0;
function rule(partial: Partial<PolicyRule> & Pick<PolicyRule, "effect">): PolicyRule {
  ruleCounter++;
  return {
    id: `r${ruleCounter}`,
    toolName: "*",
    description: `rule ${ruleCounter}`,
    conditions: [],
    enabled: true,
    position: ruleCounter,
    ...partial,
  };
}

function policy(partial: Partial<PolicyConfig> = {}): PolicyConfig {
  return { version: 7, toolClasses: {}, rules: [], settings: DEFAULT_POLICY_SETTINGS, ...partial };
}

describe("decide: classes", () => {
  it.each([
    ["READ", "ALLOW"],
    ["SENSITIVE_READ", "REQUIRE_APPROVAL"],
    ["DESTRUCTIVE", "REQUIRE_APPROVAL"],
    ["DISABLED", "DENY"],
  ] as const)("%s → %s by default", (risk, expected) => {
    const result = decide(call("tool", {}, { risk }), policy());
    expect(result.decision).toBe(expected);
    expect(result.riskClass).toBe(risk);
    expect(result.policyVersion).toBe(7);
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it("an unknown tool is denied", () => {
    expect(decide({ ...call("nope", {}), tool: undefined }, policy()).decision).toBe("DENY");
  });

  it("an unknown class fails closed", () => {
    expect(decide(call("tool", {}, { risk: "SOMETHING" as RiskClass }), policy()).decision).toBe("DENY");
    expect(decide(call("tool", {}), policy({ toolClasses: { tool: "WEIRD" as RiskClass } })).decision).toBe("DENY");
  });

  it("the tool's classifier refines the default; an admin override replaces both", () => {
    expect(decide(call("sql_query", {}, { risk: "DESTRUCTIVE", classified: "READ" }), policy()).decision).toBe("ALLOW");
    const overridden = policy({ toolClasses: { sql_query: "DESTRUCTIVE" } });
    expect(decide(call("sql_query", {}, { risk: "DESTRUCTIVE", classified: "READ" }), overridden).decision).toBe(
      "REQUIRE_APPROVAL",
    );
    expect(decide(call("list_files", {}), policy({ toolClasses: { list_files: "DISABLED" } })).decision).toBe("DENY");
  });

  it("asks for the default number of approvals", () => {
    const result = decide(
      call("rm", {}, { risk: "DESTRUCTIVE" }),
      policy({ settings: { ...DEFAULT_POLICY_SETTINGS, defaultRequiredApprovals: 2 } }),
    );
    expect(result.requiredApprovals).toBe(2);
    expect(decide(call("ls", {}), policy()).requiredApprovals).toBe(0);
  });
});

describe("decide: rules", () => {
  it.each([
    ["equals", "args.command", "rm", { command: "rm" }, true],
    ["equals", "args.command", "rm", { command: "ls" }, false],
    ["notEquals", "args.command", "rm", { command: "ls" }, true],
    ["in", "args.command", ["rm", "mv"], { command: "mv" }, true],
    ["glob", "args.path", "secrets/**", { path: "secrets/a/b.txt" }, true],
    ["glob", "args.path", "*.env", { path: "dir/.env" }, false],
    ["glob", "args.path", "**/*.pem", { path: "keys/server.pem" }, true],
    ["regex", "args.to", "@example\\.com$", { to: "ops@example.com" }, true],
    ["gt", "args.amount", 100, { amount: 150 }, true],
    ["gt", "args.amount", 100, { amount: "150" }, true],
    ["lte", "args.amount", 100, { amount: 150 }, false],
    ["gte", "args.amount", 100, { amount: "lots" }, false],
    ["exists", "args.force", undefined, { force: true }, true],
    ["exists", "args.force", undefined, {}, false],
    ["equals", "args.nested.deep", "x", { nested: { deep: "x" } }, true],
  ] as const)("%s on %s %j vs %j → matches=%s", (operator, path, value, args, matches) => {
    const rules = [
      rule({ toolName: "tool", conditions: [{ path, operator, value: value as never }], effect: { decision: "DENY" } }),
    ];
    expect(decide(call("tool", args), policy({ rules })).decision).toBe(matches ? "DENY" : "ALLOW");
  });

  it("matches on facts from the tool's classifier (any element of a list)", () => {
    const rules = [
      rule({
        toolName: "sql_query",
        conditions: [{ path: "facts.statementTypes", operator: "equals", value: "DELETE" }],
        effect: { requiredApprovals: 2 },
      }),
    ];
    const result = decide(
      call(
        "sql_query",
        {},
        { risk: "DESTRUCTIVE", classified: "DESTRUCTIVE", facts: { statementTypes: ["SELECT", "DELETE"] } },
      ),
      policy({ rules }),
    );
    expect(result).toMatchObject({ decision: "REQUIRE_APPROVAL", requiredApprovals: 2 });
  });

  it("shell `rm` needs two approvals while `ls` stays READ", () => {
    const rules = [
      rule({
        toolName: "run_shell",
        conditions: [{ path: "facts.commands", operator: "equals", value: "rm" }],
        effect: { riskClass: "DESTRUCTIVE", requiredApprovals: 2 },
      }),
    ];
    const rm = decide(
      call(
        "run_shell",
        { command: "rm -rf x" },
        { risk: "DESTRUCTIVE", classified: "DESTRUCTIVE", facts: { commands: ["rm"] } },
      ),
      policy({ rules }),
    );
    const ls = decide(
      call("run_shell", { command: "ls" }, { risk: "DESTRUCTIVE", classified: "READ", facts: { commands: ["ls"] } }),
      policy({ rules }),
    );
    expect(rm).toMatchObject({ decision: "REQUIRE_APPROVAL", requiredApprovals: 2, matchedRuleId: rules[0]?.id });
    expect(ls).toMatchObject({ decision: "ALLOW" });
  });

  it("the most specific rule wins; on a tie DENY wins; then list order", () => {
    const general = rule({ toolName: "*", effect: { decision: "DENY" } });
    const specific = rule({
      toolName: "tool",
      conditions: [{ path: "args.safe", operator: "equals", value: true }],
      effect: { decision: "ALLOW", confirmedLowering: true },
    });
    expect(
      decide(call("tool", { safe: true }, { risk: "SENSITIVE_READ" }), policy({ rules: [general, specific] })).decision,
    ).toBe("ALLOW");
    const allow = rule({ toolName: "tool", effect: { decision: "ALLOW" }, position: 1 });
    const denyTie = rule({ toolName: "tool", effect: { decision: "DENY" }, position: 2 });
    expect(decide(call("tool", {}), policy({ rules: [allow, denyTie] })).decision).toBe("DENY");
    const first = rule({ toolName: "tool", effect: { requiredApprovals: 3 }, position: 1 });
    const second = rule({ toolName: "tool", effect: { requiredApprovals: 2 }, position: 2 });
    expect(
      decide(call("tool", {}, { risk: "DESTRUCTIVE" }), policy({ rules: [second, first] })).requiredApprovals,
    ).toBe(3);
  });

  it("disabled rules and rules for other tools do not apply", () => {
    const rules = [
      rule({ toolName: "tool", effect: { decision: "DENY" }, enabled: false }),
      rule({ toolName: "other", effect: { decision: "DENY" } }),
    ];
    expect(decide(call("tool", {}), policy({ rules })).decision).toBe("ALLOW");
  });

  it("a rule that cannot be evaluated fails closed", () => {
    const rules = [
      rule({
        toolName: "tool",
        conditions: [{ path: "args.x", operator: "regex", value: "(" }],
        effect: { decision: "ALLOW" },
      }),
    ];
    const result = decide(call("tool", { x: "a" }), policy({ rules }));
    expect(result.decision).toBe("DENY");
    expect(result.reasons[0]).toMatch(/could not be evaluated/);
    const badPath = [rule({ toolName: "tool", conditions: [{ path: "env.HOME", operator: "exists" }], effect: {} })];
    expect(decide(call("tool", {}), policy({ rules: badPath })).decision).toBe("DENY");
  });

  it("a confirmed ALLOW rule releases a sensitive read, but not a destructive call unless auto-run was confirmed", () => {
    const rules = [rule({ toolName: "*", effect: { decision: "ALLOW", confirmedLowering: true } })];
    expect(decide(call("read_secret", {}, { risk: "SENSITIVE_READ" }), policy({ rules })).decision).toBe("ALLOW");
    expect(decide(call("delete_file", {}, { risk: "DESTRUCTIVE" }), policy({ rules })).decision).toBe(
      "REQUIRE_APPROVAL",
    );
    const confirmed = policy({ rules, settings: { ...DEFAULT_POLICY_SETTINGS, destructiveAutoRunConfirmed: true } });
    expect(decide(call("delete_file", {}, { risk: "DESTRUCTIVE" }), confirmed).decision).toBe("ALLOW");
  });

  it("a rule saved without confirmation cannot lower a class or let a gated call run unreviewed", () => {
    const autoRun = { ...DEFAULT_POLICY_SETTINGS, destructiveAutoRunConfirmed: true };
    const lowering = [rule({ toolName: "*", effect: { riskClass: "READ" } })];
    const destructive = decide(call("delete_file", {}, { risk: "DESTRUCTIVE" }), policy({ rules: lowering }));
    expect(destructive).toMatchObject({ decision: "REQUIRE_APPROVAL", riskClass: "DESTRUCTIVE" });
    expect(destructive.reasons.join(" ")).toMatch(/without the typed confirmation/);
    expect(decide(call("read_secret", {}, { risk: "SENSITIVE_READ" }), policy({ rules: lowering })).decision).toBe(
      "REQUIRE_APPROVAL",
    );
    expect(decide(call("x", {}), policy({ rules: lowering, toolClasses: { x: "DISABLED" } })).decision).toBe("DENY");
    const allow = [rule({ toolName: "*", effect: { decision: "ALLOW" } })];
    expect(decide(call("read_secret", {}, { risk: "SENSITIVE_READ" }), policy({ rules: allow })).decision).toBe(
      "REQUIRE_APPROVAL",
    );
    expect(
      decide(call("delete_file", {}, { risk: "DESTRUCTIVE" }), policy({ rules: allow, settings: autoRun })).decision,
    ).toBe("REQUIRE_APPROVAL");
    // Raising needs no confirmation, and a confirmed rule lowers.
    const raising = [rule({ toolName: "*", effect: { riskClass: "DESTRUCTIVE" } })];
    expect(decide(call("list_files", {}), policy({ rules: raising })).decision).toBe("REQUIRE_APPROVAL");
    const confirmed = [rule({ toolName: "*", effect: { riskClass: "READ", confirmedLowering: true } })];
    expect(decide(call("delete_file", {}, { risk: "DESTRUCTIVE" }), policy({ rules: confirmed })).decision).toBe(
      "ALLOW",
    );
  });

  it("a glob on a directory's contents also matches the directory itself", () => {
    const rules = [
      rule({
        toolName: "delete_file",
        conditions: [{ path: "args.path", operator: "glob", value: "X/deny/**" }],
        effect: { decision: "DENY" },
      }),
    ];
    for (const [path, expected] of [
      ["X/deny", "DENY"],
      ["X/deny/p", "DENY"],
      ["X/deny/a/b", "DENY"],
      ["X/denyx", "REQUIRE_APPROVAL"],
      ["X/deny.txt", "REQUIRE_APPROVAL"],
    ] as const) {
      expect(decide(call("delete_file", { path }, { risk: "DESTRUCTIVE" }), policy({ rules })).decision, path).toBe(
        expected,
      );
    }
  });

  it("a rule on paths inside a directory cannot be dodged by acting on the directory's ancestor as a whole", () => {
    const deny = [
      rule({
        toolName: "delete_file",
        conditions: [{ path: "args.path", operator: "glob", value: "X/deny/**" }],
        effect: { decision: "DENY" },
      }),
    ];
    const deleting = (path: string, recursive: boolean) =>
      call("delete_file", { path, recursive }, { risk: "DESTRUCTIVE", facts: { subtrees: recursive ? [path] : [] } });
    for (const [path, recursive, expected] of [
      ["X", true, "DENY"],
      [".", true, "DENY"],
      ["X/deny", true, "DENY"],
      ["X", false, "REQUIRE_APPROVAL"],
      ["Y", true, "REQUIRE_APPROVAL"],
      ["X/other", true, "REQUIRE_APPROVAL"],
    ] as const) {
      expect(decide(deleting(path, recursive), policy({ rules: deny })).decision, `${path} ${recursive}`).toBe(
        expected,
      );
    }
    // `**` anywhere could match inside any tree: deleting any directory may delete a *.lock file.
    const anyLock = [
      rule({
        toolName: "delete_file",
        conditions: [{ path: "args.path", operator: "glob", value: "**/*.lock" }],
        effect: { decision: "DENY" },
      }),
    ];
    expect(decide(deleting("src", true), policy({ rules: anyLock })).decision).toBe("DENY");
    expect(decide(deleting("src/a.ts", false), policy({ rules: anyLock })).decision).toBe("REQUIRE_APPROVAL");
  });

  it("a rule that lets a call through covers a tree only when all of the tree matches", () => {
    const lowering = (glob: string) => [
      rule({
        toolName: "delete_file",
        conditions: [{ path: "args.path", operator: "glob", value: glob }],
        effect: { riskClass: "READ", confirmedLowering: true },
      }),
    ];
    const deleting = (path: string) =>
      call("delete_file", { path, recursive: true }, { risk: "DESTRUCTIVE", facts: { subtrees: [path] } });
    expect(decide(deleting("tmp/cache"), policy({ rules: lowering("tmp/**") })).decision).toBe("ALLOW");
    expect(decide(deleting("tmp"), policy({ rules: lowering("tmp/**") })).decision).toBe("ALLOW");
    // The workspace root holds tmp/ and everything else: the rule for tmp/** must not cover it.
    expect(decide(deleting("."), policy({ rules: lowering("tmp/**") })).decision).toBe("REQUIRE_APPROVAL");
    // A directory named like a file pattern holds files that are not.
    expect(decide(deleting("x.log"), policy({ rules: lowering("*.log") })).decision).toBe("REQUIRE_APPROVAL");
    // The same rule for a single file still applies.
    const single = call(
      "delete_file",
      { path: "x.log", recursive: false },
      { risk: "DESTRUCTIVE", facts: { subtrees: [] } },
    );
    expect(decide(single, policy({ rules: lowering("*.log") })).decision).toBe("ALLOW");
  });

  it("`**/` stands for whole directories, never part of a name", () => {
    const regex = globToRegExp("**/tmp");
    expect(["tmp", "a/tmp", "a/b/tmp"].every((path) => regex.test(path))).toBe(true);
    expect(["atmp", "a/btmp"].some((path) => regex.test(path))).toBe(false);
  });

  it("a rule can require approval even for a read, and can match the actor's role", () => {
    const rules = [
      rule({
        toolName: "*",
        conditions: [{ path: "actor.role", operator: "equals", value: "USER" }],
        effect: { decision: "REQUIRE_APPROVAL" },
      }),
    ];
    expect(decide(call("list_files", {}), policy({ rules })).decision).toBe("REQUIRE_APPROVAL");
    expect(decide(call("list_files", {}, { actor: { id: "a", role: "ADMIN" } }), policy({ rules })).decision).toBe(
      "ALLOW",
    );
  });
});

describe("decide: properties", () => {
  const riskClass = fc.constantFrom(...RISK_CLASSES);
  const effect = fc.record(
    {
      riskClass: riskClass,
      decision: fc.constantFrom("ALLOW", "REQUIRE_APPROVAL", "DENY" as const),
      requiredApprovals: fc.integer({ min: -1, max: 5 }),
    },
    { requiredKeys: [] },
  );
  const arbitraryRule = fc.record({
    id: fc.uuid(),
    toolName: fc.constantFrom("*", "tool", "other"),
    description: fc.string(),
    conditions: fc.array(
      fc.record({
        path: fc.constantFrom("args.a", "args.b", "facts.kind", "actor.role"),
        operator: fc.constantFrom("equals", "notEquals", "in", "glob", "gt", "exists" as const),
        value: fc.oneof(fc.string(), fc.integer(), fc.array(fc.string())),
      }),
      { maxLength: 3 },
    ),
    effect,
    enabled: fc.boolean(),
    position: fc.integer(),
  });
  const arbitraryPolicy = fc.record({
    version: fc.nat(),
    toolClasses: fc.dictionary(fc.constantFrom("tool", "other"), riskClass),
    rules: fc.array(arbitraryRule, { maxLength: 6 }),
    settings: fc.record({
      defaultRequiredApprovals: fc.integer({ min: 1, max: 3 }),
      destructiveAutoRunConfirmed: fc.boolean(),
      sensitiveReadsNeedApproval: fc.boolean(),
    }),
  });
  const arbitraryCall = fc.record({
    toolName: fc.constant("tool"),
    tool: fc.record({ defaultRisk: riskClass, classifiedRisk: fc.option(riskClass, { nil: undefined }) }),
    args: fc.record({ a: fc.oneof(fc.string(), fc.integer()), b: fc.anything() }),
    facts: fc.record({ kind: fc.string() }),
    actor: fc.record({ id: fc.string(), role: fc.constantFrom("USER", "REVIEWER", "ADMIN" as const) }),
  });

  it("never throws, and always returns a known decision with reasons", () => {
    fc.assert(
      fc.property(arbitraryCall, arbitraryPolicy, (proposed, config) => {
        const result = decide(proposed as ProposedCall, config as PolicyConfig);
        expect(["ALLOW", "REQUIRE_APPROVAL", "DENY"]).toContain(result.decision);
        expect(result.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it("DISABLED is never allowed; DESTRUCTIVE never runs without approval unless auto-run was confirmed", () => {
    fc.assert(
      fc.property(arbitraryCall, arbitraryPolicy, (proposed, config) => {
        const result = decide(proposed as ProposedCall, config as PolicyConfig);
        if (result.riskClass === "DISABLED") expect(result.decision).toBe("DENY");
        if (result.riskClass === "DESTRUCTIVE" && !config.settings.destructiveAutoRunConfirmed) {
          expect(result.decision).not.toBe("ALLOW");
        }
        if (result.decision === "REQUIRE_APPROVAL") expect(result.requiredApprovals).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });

  it("rules saved without confirmation never let a call run with less review than its class before rules", () => {
    // Stated over the class BEFORE rules (the override, else the classifier, else the
    // default): a rule that lowers it, to READ or anything else, must not make it run.
    fc.assert(
      fc.property(arbitraryCall, arbitraryPolicy, (proposed, config) => {
        const result = decide(proposed as ProposedCall, config as PolicyConfig);
        const base = config.toolClasses.tool ?? proposed.tool.classifiedRisk ?? proposed.tool.defaultRisk;
        if (base === "DESTRUCTIVE") expect(result.decision).not.toBe("ALLOW");
        if (base === "SENSITIVE_READ" && config.settings.sensitiveReadsNeedApproval) {
          expect(result.decision).not.toBe("ALLOW");
        }
        if (base === "DISABLED") expect(result.decision).toBe("DENY");
      }),
      { numRuns: 2000 },
    );
  });

  it("with no rules and no overrides, the class alone decides", () => {
    fc.assert(
      fc.property(riskClass, (risk) => {
        const expected = {
          READ: "ALLOW",
          SENSITIVE_READ: "REQUIRE_APPROVAL",
          DESTRUCTIVE: "REQUIRE_APPROVAL",
          DISABLED: "DENY",
        }[risk];
        expect(decide(call("tool", {}, { risk }), policy()).decision).toBe(expected);
      }),
    );
  });
});

describe("decide: network grants", () => {
  const shell = (command: string) =>
    call("run_shell", { command }, { risk: "DESTRUCTIVE", classified: "READ", facts: { command } });
  const curlOnly = [{ path: "facts.command", operator: "equals" as const, value: "curl" }];

  it("a call has no network without a rule granting it", () => {
    expect(decide(shell("curl"), policy()).network).toBe(false);
    const other = rule({ toolName: "run_shell", effect: { decision: "ALLOW", confirmedLowering: true } });
    expect(decide(shell("curl"), policy({ rules: [other] })).network).toBe(false);
  });

  it("a confirmed rule grants network to the calls it wins, and says so", () => {
    const grant = rule({
      toolName: "run_shell",
      description: "curl may fetch",
      conditions: curlOnly,
      effect: { network: true, confirmedLowering: true },
    });
    const result = decide(shell("curl"), policy({ rules: [grant] }));
    expect(result.network).toBe(true);
    expect(result.matchedRuleId).toBe(grant.id);
    expect(result.reasons).toContain('rule "curl may fetch" allows network access');
    // It changes nothing else: a READ call still runs, unreviewed.
    expect(result.decision).toBe("ALLOW");
    expect(decide(shell("wget"), policy({ rules: [grant] })).network).toBe(false);
  });

  it("an unconfirmed grant is ignored, whoever wrote the row", () => {
    const unconfirmed = rule({ toolName: "run_shell", conditions: curlOnly, effect: { network: true } });
    const result = decide(shell("curl"), policy({ rules: [unconfirmed] }));
    expect(result.network).toBe(false);
    expect(result.reasons.join(" ")).toMatch(/without the typed confirmation.*no network/);
  });

  it("only the winning rule's grant counts, and a denied call never has network", () => {
    const grant = rule({ toolName: "*", effect: { network: true, confirmedLowering: true } });
    // More specific, so it wins: it does not grant network.
    const approval = rule({ toolName: "run_shell", effect: { decision: "REQUIRE_APPROVAL" } });
    expect(decide(shell("curl"), policy({ rules: [grant, approval] })).network).toBe(false);
    expect(decide(shell("curl"), policy({ rules: [grant] })).network).toBe(true);
    const deniedGrant = rule({
      toolName: "run_shell",
      effect: { decision: "DENY", network: true, confirmedLowering: true },
    });
    const denied = decide(shell("curl"), policy({ rules: [deniedGrant] }));
    expect(denied.decision).toBe("DENY");
    expect(denied.network).toBe(false);
    expect(decide(shell("curl"), policy({ rules: [grant], toolClasses: { run_shell: "DISABLED" } })).network).toBe(
      false,
    );
    expect(decide({ ...shell("curl"), tool: undefined }, policy({ rules: [grant] })).network).toBe(false);
  });

  it("a disabled granting rule grants nothing", () => {
    const off = rule({ toolName: "run_shell", enabled: false, effect: { network: true, confirmedLowering: true } });
    expect(decide(shell("curl"), policy({ rules: [off] })).network).toBe(false);
  });
});
