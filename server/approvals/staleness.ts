/**
 * Why an approval request no longer applies to the call that would run: the tool is gone,
 * another tool is named, or the tool's definition or the policy changed since the request
 * was made (a reviewer deciding) or since it was approved (the engine about to execute).
 * One explanation for both moments, so the reviewer and the audit read the same reasons.
 */

/** What the request was made under, as it recorded it. */
export interface BoundCall {
  toolName: string;
  toolVersion: string;
  policyVersion: number;
}

/** What would run now: the tool as the registry has it (undefined: no such tool) and the policy in force. */
export interface CallNow {
  toolName: string;
  toolVersion: string | undefined;
  policyVersion: number;
}

export type BindingMoment = "request" | "approval";

/** The reason the request no longer applies, or null when the tool, its definition and the policy are unchanged. */
export function staleBecause(bound: BoundCall, now: CallNow, moment: BindingMoment): string | null {
  const since = moment === "approval" ? "after approval" : "since the request";
  if (now.toolVersion === undefined) return `the tool ${now.toolName} no longer exists`;
  if (now.toolName !== bound.toolName) {
    return `the call names a different tool than the one ${moment === "approval" ? "approved" : "requested"}`;
  }
  if (now.toolVersion !== bound.toolVersion) return `the tool's definition changed ${since}`;
  if (now.policyVersion !== bound.policyVersion) return `the policy changed ${since}`;
  return null;
}
