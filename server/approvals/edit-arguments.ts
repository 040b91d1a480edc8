/**
 * "Approve with edits": the edited arguments go through validation, the tool's classifier
 * and the policy as the model's would, for the requester (whose run will execute them),
 * and the request is bound to them under the policy in force — the original and the edit
 * both audited. Approvals given for the arguments before the edit no longer count.
 */
import { recordAuditEvent } from "../audit/record-audit-event";
import { type ApprovalRequestRow, rebindApprovalRequest } from "../db/approvals";
import type { Transaction } from "../db/transaction";
import { AirlockError } from "../errors";
import type { Role } from "../shared/risk";
import { HIDDEN, maskDeep } from "../shared/sensitive-values";
import type { ToolRegistry } from "../tools/registry";
import { bindingHash } from "./binding";
import type { PolicyInForce } from "./current-policy";
import { evaluateCall } from "./evaluate-call";
import { loadSensitiveValues } from "./released-values";

/** What the approval binds to after the edit. */
export interface EditedBinding {
  bindingHash: string;
  requiredApprovals: number;
  /** The edit as validated: canonical, the same arguments the new binding covers. */
  editedArgs: unknown;
}

export async function rebindToEdit(
  tx: Transaction,
  options: {
    request: ApprovalRequestRow;
    requester: { role: Role };
    editedArgs: unknown;
    reviewerId: string;
    policy: PolicyInForce;
    tools: ToolRegistry;
  },
): Promise<EditedBinding> {
  const { request, policy, tools } = options;
  refuseHiddenPlaceholders(options.editedArgs, request.editedArgs ?? request.args);
  const tool = tools.get(request.toolName);
  const evaluation = await evaluateCall({
    toolName: request.toolName,
    tool,
    args: options.editedArgs,
    actor: { id: request.requesterId, role: options.requester.role },
    policy,
    availableTools: () => tools.list().map((candidate) => candidate.name),
  });
  if (!evaluation.ok) throw new AirlockError("approval:invalid-edit", evaluation.reason);
  if (evaluation.decision.decision === "DENY") {
    throw new AirlockError(
      "approval:edit-denied",
      `The edited call is denied by policy: ${evaluation.decision.reasons.join("; ")}`,
    );
  }
  const edited: EditedBinding = {
    bindingHash: bindingHash({
      toolName: request.toolName,
      args: evaluation.input,
      toolVersion: tool?.version ?? "",
      policyVersion: policy.version,
    }),
    requiredApprovals: Math.max(request.requiredApprovals, evaluation.decision.requiredApprovals || 1),
    editedArgs: evaluation.input,
  };
  await rebindApprovalRequest(tx, request.id, {
    editedArgs: edited.editedArgs,
    bindingHash: edited.bindingHash,
    policyVersion: policy.version,
    requiredApprovals: edited.requiredApprovals,
  });
  await recordAuditEvent(tx, {
    actorId: options.reviewerId,
    action: "approval.arguments-edited",
    targetType: "approval",
    targetId: request.id,
    // The model may have put a value released earlier in the conversation into the arguments.
    data: maskDeep(
      { original: request.args, edited: evaluation.input, previousEdit: request.editedArgs },
      await loadSensitiveValues(request.conversationId, tools),
    ),
  });
  return edited;
}

/**
 * Reviewers see sensitive values as HIDDEN; an edit submitted from that view would run with
 * the placeholder in place of the value. Refused, unless the arguments held the text itself.
 */
function refuseHiddenPlaceholders(editedArgs: unknown, originalArgs: unknown) {
  if (JSON.stringify(editedArgs)?.includes(HIDDEN) && !JSON.stringify(originalArgs)?.includes(HIDDEN)) {
    throw new AirlockError(
      "approval:invalid-edit",
      `The edited arguments contain ${HIDDEN}, which stands for a sensitive value you were not shown: write the value out, or approve without edits.`,
    );
  }
}
