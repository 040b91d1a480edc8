/**
 * One governed tools/call from an outside agent. The call becomes a run of the caller's
 * "MCP: <client name>" conversation on the gateway model (models/gateway-model.ts), so it
 * takes the chat's path unchanged: validation, policy, approval by a reviewer who is not
 * the caller, execution exactly once on whichever instance resumes the run, audit and
 * traces. This module only starts that run (or finds the run of an identical earlier
 * call whose outcome was never delivered), waits for it, and turns its outcome into an
 * MCP result:
 * - a READ finishes at once and returns its result;
 * - a gated call waits for the reviewers' decision (progress notifications while it
 *   waits) up to MCP_APPROVAL_WAIT_MS, then answers "pending approval <id>"; the next
 *   identical call picks up that run instead of asking reviewers again;
 * - a rejection returns the reviewer's reason as a plain result: do not retry.
 */
import { cancelRun, createGatewayConversation, MAX_MESSAGE_CHARS, sendMessage } from "../agent/conversations";
import { streamRunEvents } from "../agent/run-stream";
import { recordAuditEvent } from "../audit/record-audit-event";
import {
  findIdleConversation,
  findPendingApprovalId,
  findUndeliveredRun,
  type GatewayRunOutcome,
  OUTCOME_DELIVERED_ACTION,
  readRunOutcome,
} from "../db/gateway";
import { inTransaction } from "../db/transaction";
import { AirlockError } from "../errors";
import { GATEWAY_MODEL_ID } from "../models/gateway-model";
import { gatewayCallText } from "../shared/gateway-call";
import type { Role } from "../shared/risk";
import { TERMINAL_RUN_STATUSES } from "../shared/run-events";

/** How often a waiting call tells its client it is still waiting. */
const PROGRESS_EVERY_MS = 10_000;

export interface ToolCallResult {
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

/** Who calls which tool with what: all it takes to find or start the call's run. */
export interface GatewayCall {
  actor: { id: string; role: Role };
  clientName: string;
  toolName: string;
  args: Record<string, unknown>;
}

export interface GovernedCallOptions extends GatewayCall {
  waitMs: number;
  /** Aborted when the client cancels the request: the run is cancelled. */
  signal: AbortSignal;
  /** Told that the call waits for a reviewer, then again every PROGRESS_EVERY_MS. */
  onWaiting?: (approvalId: string, elapsedMs: number) => Promise<void>;
}

export class GatewayInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GatewayInputError";
  }
}

export function conversationTitle(clientName: string): string {
  return `MCP: ${clientName}`;
}

function text(value: string): { type: "text"; text: string } {
  return { type: "text", text: value };
}

/** Queues the call's run in an idle "MCP: <client>" conversation of the caller (a new one if all are busy). */
async function startRun(options: GatewayCall, message: string): Promise<string> {
  const ownerId = options.actor.id;
  const title = conversationTitle(options.clientName);
  const idle = await findIdleConversation({ ownerId, title, modelId: GATEWAY_MODEL_ID });
  const conversationId = idle ?? (await createGatewayConversation({ ownerId, title })).id;
  try {
    return (await sendMessage({ ownerId, conversationId, text: message })).id;
  } catch (error) {
    // Another call of this client took the conversation first: this one gets its own.
    if (!(error instanceof AirlockError && error.code === "run:busy")) throw error;
    const fresh = await createGatewayConversation({ ownerId, title });
    return (await sendMessage({ ownerId, conversationId: fresh.id, text: message })).id;
  }
}

type Wait = { ended: "settled" } | { ended: "pending"; approvalId: string | null } | { ended: "cancelled" };

/** Follows the run's events until it ends, the wait is over, or the client cancels. */
async function waitForRun(runId: string, options: GovernedCallOptions): Promise<Wait> {
  const current = await readRunOutcome(runId);
  if (!current || TERMINAL_RUN_STATUSES.has(current.status)) return { ended: "settled" };
  const started = Date.now();
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.waitMs);
  const signal = AbortSignal.any([timeout.signal, options.signal]);
  let approvalId: string | null = null;
  let heartbeat: NodeJS.Timeout | undefined;
  const waiting = async (status: string) => {
    clearInterval(heartbeat);
    heartbeat = undefined;
    if (status !== "AWAITING_APPROVAL") return;
    approvalId = await findPendingApprovalId(runId);
    const id = approvalId;
    if (!id || !options.onWaiting) return;
    await options.onWaiting(id, Date.now() - started).catch(() => {});
    heartbeat = setInterval(() => {
      options.onWaiting?.(id, Date.now() - started).catch(() => {});
    }, PROGRESS_EVERY_MS);
  };
  try {
    await waiting(current.status);
    for await (const event of streamRunEvents({ runId, afterSeq: current.lastEventSeq, signal })) {
      if (event.data.type !== "run-status") continue;
      if (TERMINAL_RUN_STATUSES.has(event.data.status)) return { ended: "settled" };
      await waiting(event.data.status);
    }
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
  }
  if (options.signal.aborted) return { ended: "cancelled" };
  return { ended: "pending", approvalId: approvalId ?? (await findPendingApprovalId(runId)) };
}

function pendingResult(approvalId: string | null): ToolCallResult {
  const id = approvalId ?? "(being created)";
  return {
    content: [
      text(
        `pending approval ${id} — not executed; ask again with the same arguments after it is decided. A reviewer must approve this call; asking again with the same arguments returns its outcome without a second request.`,
      ),
    ],
    structuredContent: { status: "pending-approval", approvalId },
  };
}

function resultText(result: unknown): string {
  return typeof result === "string" ? result : JSON.stringify(result ?? null);
}

/** The run's outcome as the MCP result its client gets. */
export function outcomeResult(outcome: GatewayRunOutcome | null): ToolCallResult {
  if (!outcome) return { content: [text("The run of this call no longer exists.")], isError: true };
  const call = outcome.toolCalls[0];
  if (!call) {
    return {
      content: [text(`The call was not made: ${outcome.error ?? `the run ended ${outcome.status}`}.`)],
      isError: true,
    };
  }
  const approval = call.approvals[0];
  if (approval?.status === "REJECTED") {
    const reason = approval.decisionReason?.trim() || "no reason given";
    return {
      content: [
        text(
          `Not executed: a reviewer rejected this call (approval ${approval.id}) because: ${reason}. Do not retry it; change the approach or ask the user.`,
        ),
      ],
      structuredContent: { status: "rejected", approvalId: approval.id, reason },
    };
  }
  switch (call.status) {
    case "SUCCEEDED": {
      const structured =
        call.result && typeof call.result === "object" && !Array.isArray(call.result)
          ? { structuredContent: call.result as Record<string, unknown> }
          : {};
      return { content: [text(resultText(call.result))], ...structured };
    }
    case "UNKNOWN_OUTCOME":
      return {
        content: [
          text(
            "The call started but its outcome is unknown (the server running it stopped); it is not re-run blindly. Check its effect before asking again.",
          ),
        ],
        isError: true,
      };
    case "CANCELLED":
      return { content: [text("Not executed: the call was cancelled.")], isError: true };
    case "FAILED":
    case "REFUSED":
      return { content: [text(call.error ?? `The call ${call.status.toLowerCase()}.`)], isError: true };
    default:
      return {
        content: [text(`Not executed: the run ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ""}.`)],
        isError: true,
      };
  }
}

export async function markDelivered(runId: string, actorId: string, outcome: string): Promise<void> {
  await inTransaction((tx) =>
    recordAuditEvent(tx, {
      actorId,
      action: OUTCOME_DELIVERED_ACTION,
      targetType: "run",
      targetId: runId,
      data: { outcome },
    }),
  );
}

/**
 * The call's run: an identical earlier call's whose outcome was never delivered (no
 * second approval request), else a new one. Task-augmented calls share it (tasks/).
 */
export async function findOrStartRun(options: GatewayCall): Promise<string> {
  const message = gatewayCallText({ toolName: options.toolName, args: options.args });
  if (message.length > MAX_MESSAGE_CHARS) {
    throw new GatewayInputError(
      `The arguments are too large: at most ${MAX_MESSAGE_CHARS.toLocaleString("en")} characters of JSON.`,
    );
  }
  const earlier = await findUndeliveredRun({ userId: options.actor.id, modelId: GATEWAY_MODEL_ID, text: message });
  return earlier ?? (await startRun(options, message));
}

export async function governedCall(options: GovernedCallOptions): Promise<ToolCallResult> {
  const runId = await findOrStartRun(options);
  const wait = await waitForRun(runId, options);
  if (wait.ended === "pending") return pendingResult(wait.approvalId);
  if (wait.ended === "cancelled") {
    await cancelRun({ runId, userId: options.actor.id });
    await markDelivered(runId, options.actor.id, "cancelled");
    return { content: [text("Cancelled by the client.")], isError: true };
  }
  const outcome = await readRunOutcome(runId);
  const result = outcomeResult(outcome);
  await markDelivered(runId, options.actor.id, outcome?.toolCalls[0]?.status ?? outcome?.status ?? "missing");
  return result;
}
