/**
 * tools/list for one caller: every tool of the process's registry (built-in and imported
 * MCP tools alike) that policy lets this caller use, with its JSON Schema and annotations
 * that tell the truth about its class. What decides a tool's place in the list is the
 * policy with no arguments: the tool's class (an admin's override, else its default) and
 * the rules that hold for the whole tool or the caller's role. A DISABLED or denied
 * tool, or one that cannot run on this server, is absent; rules on arguments are left to
 * the call itself (a listed tool may still be refused or need approval for some calls).
 *
 * `execution.taskSupport` (the spec's Tasks utility, tasks/): "optional" for every tool
 * whose calls may wait for a reviewer, so a client can take a task handle instead of
 * holding a request open; "forbidden" for a tool that always runs at once (READ with no
 * argument-dependent class), because the spec reserves tasks for requests that may take
 * long and a task would only add a round trip — a task-augmented call of such a tool is
 * refused with -32601, as the spec asks.
 */
import { loadPolicy } from "../approvals/current-policy";
import { decide } from "../policy/decide";
import type { PolicyConfig } from "../policy/types";
import type { RiskClass, Role } from "../shared/risk";
import type { AnyTool } from "../tools/define-tool";
import type { ToolRegistry } from "../tools/registry";

export interface ListedTool {
  name: string;
  description: string;
  inputSchema: { type: "object"; [key: string]: unknown };
  annotations: {
    readOnlyHint: boolean;
    destructiveHint: boolean;
    idempotentHint: boolean;
  };
  execution: { taskSupport: "optional" | "forbidden" };
  _meta: { "airlock/riskClass": RiskClass; "airlock/approval": "none" | "required" | "depends-on-arguments" };
}

const CLASS_NOTE: Record<RiskClass, string> = {
  READ: "READ: runs at once.",
  SENSITIVE_READ: "SENSITIVE_READ: a reviewer must approve before the value is released.",
  DESTRUCTIVE: "DESTRUCTIVE: a reviewer must approve these exact arguments before it runs.",
  DISABLED: "DISABLED: never runs.",
};

/** Only the rules that hold for every call of a tool: no conditions, or conditions on the caller alone. */
function wholeToolPolicy(policy: PolicyConfig): PolicyConfig {
  return {
    ...policy,
    rules: policy.rules.filter((rule) => rule.conditions.every((condition) => condition.path.startsWith("actor."))),
  };
}

async function listing(tool: AnyTool, policy: PolicyConfig, actor: { id: string; role: Role }) {
  if (tool.unavailable && (await tool.unavailable())) return null;
  const decision = decide(
    {
      toolName: tool.name,
      // An imported tool's confirmed class, its server's default and whether it is new or changed decide too.
      tool: { defaultRisk: tool.risk, ...(tool.imported ? { imported: tool.imported } : {}) },
      args: {},
      facts: {},
      actor,
    },
    wholeToolPolicy(policy),
  );
  if (decision.decision === "DENY" || !decision.riskClass || decision.riskClass === "DISABLED") return null;
  const riskClass = decision.riskClass;
  // Without an admin's override, a classifier may put some calls in another class.
  const varies = tool.classify !== undefined && policy.toolClasses[tool.name] === undefined;
  const approval = varies ? "depends-on-arguments" : decision.decision === "ALLOW" ? "none" : "required";
  const listed: ListedTool = {
    name: tool.name,
    description: `${tool.description}\n\nAirlock risk class ${CLASS_NOTE[riskClass]}${
      varies ? " The class depends on the arguments: some calls may need a reviewer." : ""
    }`,
    inputSchema: { ...tool.inputJsonSchema, type: "object" },
    // The class in force is the tool's worst case: classifiers refine a default (sql_query
    // and run_shell default to DESTRUCTIVE and prove some calls READ; read_file proves
    // some SENSITIVE_READ).
    annotations: {
      readOnlyHint: riskClass === "READ",
      destructiveHint: riskClass === "DESTRUCTIVE",
      idempotentHint: tool.idempotent === true || riskClass === "READ",
    },
    execution: { taskSupport: approval === "none" ? "forbidden" : "optional" },
    _meta: { "airlock/riskClass": riskClass, "airlock/approval": approval },
  };
  return listed;
}

export async function listToolsFor(options: {
  actor: { id: string; role: Role };
  tools: ToolRegistry;
}): Promise<ListedTool[]> {
  const policy = await loadPolicy();
  const listed = await Promise.all(options.tools.list().map((tool) => listing(tool, policy, options.actor)));
  return listed.filter((tool): tool is ListedTool => tool !== null);
}

/** The tool as listed for this caller, or null when they may not call it at all (the same test as its place in the list). */
export async function listedFor(options: {
  actor: { id: string; role: Role };
  tool: AnyTool;
}): Promise<ListedTool | null> {
  return listing(options.tool, await loadPolicy(), options.actor);
}
