/** The policy's vocabulary: rules, their conditions and effects, and the configuration they live in. */
import type { CONDITION_OPERATORS_LIST } from "../shared/policy-operators";
import type { Decision, RiskClass, Role } from "../shared/risk";

export type ConditionOperator = (typeof CONDITION_OPERATORS_LIST)[number];

export type ConditionValue = string | number | boolean | string[];

/**
 * One test on the call. `path` names what is tested: `args.<dot.path>` (the tool's
 * arguments), `facts.<name>` (what the tool's classifier says, e.g. facts.statementTypes),
 * or `actor.role`. A list-valued subject matches when any element matches.
 */
export interface RuleCondition {
  path: string;
  operator: ConditionOperator;
  value?: ConditionValue;
}

export interface RuleEffect {
  riskClass?: RiskClass;
  decision?: Decision;
  requiredApprovals?: number;
  /**
   * An admin typed the confirmation for a rule that lets calls run with less review than
   * their own class asks for. Set by the admin service only; without it decide() ignores
   * the lowering.
   */
  confirmedLowering?: true;
  /**
   * Commands of the calls this rule wins run with the host's network (run_shell). A
   * loosening: it takes effect only with `confirmedLowering`, like a lowered class.
   */
  network?: boolean;
}

export interface PolicyRule {
  id: string;
  /**
   * A tool name, "*" for every tool, or a pattern where `*` (the only special character)
   * stands for any run of characters: `github__*`, `*__delete_*`.
   */
  toolName: string;
  description: string;
  conditions: RuleCondition[];
  effect: RuleEffect;
  enabled: boolean;
  /** Order in the admin's list; breaks the last ties. */
  position: number;
}

export interface PolicySettings {
  defaultRequiredApprovals: number;
  /** DESTRUCTIVE calls may be allowed to run without approval only when an admin typed a confirmation. */
  destructiveAutoRunConfirmed: boolean;
  /** SENSITIVE_READ calls need approval unless this is off (an audited admin setting). */
  sensitiveReadsNeedApproval: boolean;
}

export interface PolicyConfig {
  version: number;
  /** Admin overrides of a tool's class, by tool name. */
  toolClasses: Record<string, RiskClass>;
  rules: PolicyRule[];
  settings: PolicySettings;
}

export type Facts = Record<string, ConditionValue>;

/**
 * What policy knows of a tool imported from an MCP server besides its hinted class (its
 * `defaultRisk`, from annotations an untrusted server wrote).
 */
export interface ImportedToolPolicy {
  /** The MCP server's name (the tool's namespace). */
  server: string;
  /** Why the annotations suggest the hinted class. */
  hintReasons: string[];
  /** The server's default class, set by an admin. */
  serverDefault?: RiskClass;
  /** "confirmed": an admin confirmed `confirmedClass` for the definition as it is now. */
  confirmation: "confirmed" | "new" | "changed";
  confirmedClass?: RiskClass;
  /** What an unconfirmed tool does: every call needs a reviewer, or none runs. */
  newToolMode: "NEEDS_APPROVAL" | "DISABLED";
}

export interface ProposedCall {
  toolName: string;
  /** Undefined when the model named a tool that does not exist. */
  tool: { defaultRisk: RiskClass; classifiedRisk?: RiskClass; imported?: ImportedToolPolicy } | undefined;
  args: unknown;
  facts: Facts;
  actor: { id: string; role: Role };
}

export interface PolicyDecision {
  decision: Decision;
  riskClass: RiskClass | undefined;
  reasons: string[];
  requiredApprovals: number;
  matchedRuleId?: string;
  /** The winning rule grants network access and was saved with the typed confirmation. */
  network: boolean;
  policyVersion: number;
}

export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  defaultRequiredApprovals: 1,
  destructiveAutoRunConfirmed: false,
  sensitiveReadsNeedApproval: true,
};

export const EMPTY_POLICY: PolicyConfig = { version: 0, toolClasses: {}, rules: [], settings: DEFAULT_POLICY_SETTINGS };
