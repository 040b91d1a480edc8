/**
 * What the model is told of a call a reviewer rejected, and the mark a rejected call's
 * result carries so the engine feeds it back as a plain result (not an error): the call
 * was decided, by a person, and retrying it is not the way forward. The reason is the
 * reviewer's text, verbatim — it is data, bounded where it is typed (the approvals router).
 */

/** The code a refused call's result carries when a reviewer's rejection is why. */
export type RejectionKind = "rejected-by-reviewer" | "rejected-earlier";

export interface RejectedCallResult {
  notExecuted: RejectionKind;
  /** The rejected request: this call's own, or the earlier one this call repeats. */
  requestId: string;
}

export function isRejectedCallResult(value: unknown): value is RejectedCallResult {
  if (value === null || typeof value !== "object") return false;
  const { notExecuted, requestId } = value as Record<string, unknown>;
  return (
    (notExecuted === "rejected-by-reviewer" || notExecuted === "rejected-earlier") && typeof requestId === "string"
  );
}

/** The reason without the full stop a sentence of its own would end with: it goes inside ours. */
function clause(reason: string): string {
  const trimmed = reason.trim();
  return trimmed.replace(/[.\s]+$/u, "") || trimmed;
}

export function rejectionNotice(reason: string): string {
  return `Not executed: rejected by a reviewer because ${clause(reason)}; do not retry it.`;
}

export function repeatedRejectionNotice(reason: string): string {
  return `Not executed: a reviewer rejected this same call earlier in this conversation because ${clause(reason)}; do not retry it.`;
}
