/**
 * The run trace view: a waterfall of a run's steps, model calls, policy decisions, tool
 * calls and approval waits, built from what Airlock stores (no tracing backend needed).
 * Who may see it is who may see the run: its owner; a reviewer when the run asked for an
 * approval (the inbox shows them its conversation); an admin (the audit log). Anyone else
 * gets the answer a missing run gets. For everyone but the owner, values released by
 * sensitive reads are hidden in the texts shown (as in the inbox).
 */
import { loadSensitiveValues } from "../approvals/released-values";
import { readRunForTrace, type TraceRunRow } from "../db/run-trace-view";
import type { SessionUser } from "../db/users";
import { AirlockError } from "../errors";
import { maskSensitive } from "../shared/sensitive-values";
import type { ToolRegistry } from "../tools/registry";

export type TraceItemKind = "run" | "step" | "model" | "policy" | "tool" | "approval";

export interface TraceItem {
  id: string;
  parentId: string | null;
  kind: TraceItemKind;
  label: string;
  /** Milliseconds from the run's creation. */
  startMs: number;
  endMs: number;
  /** Still going (a pending approval, a running call): the bar ends at "now". */
  open: boolean;
  status: string;
  details: string[];
}

export interface RunTrace {
  run: {
    id: string;
    conversationId: string;
    status: string;
    modelId: string;
    attempts: number;
    createdAt: Date;
    error: string | null;
    traceId: string | null;
  };
  totalMs: number;
  items: TraceItem[];
}

type Call = TraceRunRow["toolCalls"][number];

function policyDecision(call: Call): string {
  if (call.approvals.length > 0) return "REQUIRE_APPROVAL";
  if (call.status === "REFUSED") return call.riskClass ? "DENY" : "INVALID";
  return "ALLOW";
}

/** Pure: the waterfall of a stored run, as of `now`. */
export function buildWaterfall(run: TraceRunRow, now: Date, hide: (text: string) => string): RunTrace {
  const origin = run.createdAt.getTime();
  const at = (date: Date) => Math.max(0, date.getTime() - origin);
  const nowMs = at(now);
  const items: TraceItem[] = [];
  const runEnd = run.finishedAt ? at(run.finishedAt) : nowMs;
  items.push({
    id: run.id,
    parentId: null,
    kind: "run",
    label: "run",
    startMs: 0,
    endMs: runEnd,
    open: !run.finishedAt,
    status: run.status,
    details: [`model ${run.modelId}`, `${run.attempts} attempt${run.attempts === 1 ? "" : "s"}`],
  });
  for (const step of run.steps) {
    const committed = at(step.createdAt);
    const modelStart = Math.max(0, committed - step.latencyMs);
    const stepItem: TraceItem = {
      id: step.id,
      parentId: run.id,
      kind: "step",
      label: `step ${step.index}`,
      startMs: modelStart,
      endMs: committed,
      open: false,
      status: step.finishReason,
      details: [],
    };
    items.push(stepItem);
    items.push({
      id: `${step.id}:model`,
      parentId: step.id,
      kind: "model",
      label: `model call ${step.modelId}`,
      startMs: modelStart,
      endMs: modelStart + step.latencyMs,
      open: false,
      status: step.finishReason,
      details: [
        `${step.inputTokens ?? "?"} tokens in`,
        `${step.outputTokens ?? "?"} tokens out`,
        ...(step.ttftMs !== null ? [`first token ${step.ttftMs} ms`] : []),
      ],
    });
    for (const call of run.toolCalls.filter((each) => each.stepId === step.id)) {
      const decision = policyDecision(call);
      const firstRequest = call.approvals[0];
      items.push({
        id: `${call.id}:policy`,
        parentId: step.id,
        kind: "policy",
        label: `policy ${call.toolName}`,
        startMs: committed,
        endMs: committed,
        open: false,
        status: decision,
        details: [
          ...(call.riskClass ? [call.riskClass] : []),
          ...(firstRequest ? [`policy v${firstRequest.policyVersion}`] : []),
          ...(firstRequest && Array.isArray(firstRequest.reasons)
            ? firstRequest.reasons.map((reason) => hide(String(reason)))
            : []),
          ...(decision !== "ALLOW" && decision !== "REQUIRE_APPROVAL" && call.error ? [hide(call.error)] : []),
        ],
      });
      let latest = committed;
      for (const request of call.approvals) {
        const end = request.decidedAt ?? (request.status === "PENDING" ? null : (request.decidedAt ?? now));
        const endMs = end ? at(end) : nowMs;
        latest = Math.max(latest, endMs);
        items.push({
          id: request.id,
          parentId: step.id,
          kind: "approval",
          label: `approval wait ${call.toolName}`,
          startMs: at(request.createdAt),
          endMs,
          open: end === null,
          status: request.status,
          details: [
            `${request.decisions.length}/${request.requiredApprovals} approvals`,
            ...request.decisions.map((decision) => `${decision.verdict} by ${decision.reviewer.name}`),
            ...(request.decisionReason ? [hide(request.decisionReason)] : []),
          ],
        });
      }
      if (call.startedAt) {
        const endMs = call.finishedAt ? at(call.finishedAt) : nowMs;
        latest = Math.max(latest, endMs);
        items.push({
          id: call.id,
          parentId: step.id,
          kind: "tool",
          label: `tool ${call.toolName}`,
          startMs: at(call.startedAt),
          endMs,
          open: !call.finishedAt,
          status: call.status,
          details: [
            ...(call.riskClass ? [call.riskClass] : []),
            ...(call.attempts > 1 ? [`${call.attempts} attempts`] : []),
            ...(call.error ? [hide(call.error)] : []),
          ],
        });
      }
      stepItem.endMs = Math.max(stepItem.endMs, latest);
    }
  }
  return {
    run: {
      id: run.id,
      conversationId: run.conversationId,
      status: run.status,
      modelId: run.modelId,
      attempts: run.attempts,
      createdAt: run.createdAt,
      error: run.error ? hide(run.error) : null,
      traceId: run.traceContext?.split("-")[1] ?? null,
    },
    totalMs: Math.max(runEnd, ...items.map((item) => item.endMs)),
    items,
  };
}

export async function getRunTrace(options: {
  runId: string;
  viewer: SessionUser;
  tools: ToolRegistry;
}): Promise<RunTrace> {
  const run = await readRunForTrace(options.runId);
  const { viewer } = options;
  const owner = run?.userId === viewer.id;
  const allowed =
    run !== null &&
    (owner ||
      viewer.role === "ADMIN" ||
      (viewer.role === "REVIEWER" && run.toolCalls.some((call) => call.approvals.length > 0)));
  if (!run || !allowed) throw new AirlockError("run:not-found", "This run does not exist or is not yours.");
  const sensitive = owner ? new Set<string>() : await loadSensitiveValues(run.conversationId, options.tools);
  return buildWaterfall(run, new Date(), (text) => (sensitive.size > 0 ? maskSensitive(text, sensitive) : text));
}
