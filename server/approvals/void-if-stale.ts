/**
 * Before a reviewer's approval counts, the tool, its definition and the policy must be
 * what the request was made under. If not, the request goes void and its call back to
 * PENDING: the engine evaluates it again under what is in force now and asks anew if needed.
 */
import type { ApprovalRequestRow } from "../db/approvals";
import { requeueRun } from "../db/runs";
import { setToolCallStatus } from "../db/tool-calls";
import type { Transaction } from "../db/transaction";
import type { ToolRegistry } from "../tools/registry";
import { staleBecause } from "./staleness";
import { voidApprovalRequest } from "./void-request";

/** The reason the request was voided, or null when it still applies. The caller holds the run's and the request's locks. */
export async function voidIfStale(
  tx: Transaction,
  options: { request: ApprovalRequestRow; tools: ToolRegistry; policyVersion: number; reviewerId: string },
): Promise<string | null> {
  const { request } = options;
  const why = staleBecause(
    request,
    {
      toolName: request.toolName,
      toolVersion: options.tools.get(request.toolName)?.version,
      policyVersion: options.policyVersion,
    },
    "request",
  );
  if (!why) return null;
  await voidApprovalRequest(tx, { requestId: request.id, from: "PENDING", why, actorId: options.reviewerId });
  await setToolCallStatus(tx, { toolCallId: request.toolCallId, from: ["AWAITING_APPROVAL"], to: "PENDING" });
  await requeueRun(request.runId, tx);
  return why;
}
