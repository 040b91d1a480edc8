/** Risk classes and decisions, shared by the server and the UI (no imports). */
export const RISK_CLASSES = ["READ", "SENSITIVE_READ", "DESTRUCTIVE", "DISABLED"] as const;
export type RiskClass = (typeof RISK_CLASSES)[number];

export const DECISIONS = ["ALLOW", "REQUIRE_APPROVAL", "DENY"] as const;
export type Decision = (typeof DECISIONS)[number];

export const ROLES = ["USER", "REVIEWER", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];
