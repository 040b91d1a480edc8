"use client";
/** One request as a reviewer decides on it: what will happen, the arguments, why it waits, and the decision. */
import { useEffect, useRef } from "react";
import { ToolFlagNotice } from "../admin/mcp/tool-flag";
import { prettyJson, type RequestDecision, useRequestDecision } from "../hooks/use-request-decision";
import { RunTraceLink } from "../trace/run-trace-view";
import { Panel } from "../ui/card";
import { InlineError } from "../ui/notice";
import { ScrollPre } from "../ui/scroll-box";
import { Badge } from "../ui/status";
import { CallOutcomeDetail } from "./call-outcome";
import { ContextMessage } from "./context-message";
import { DecisionBar } from "./decision-bar";
import { RequestPreview } from "./request-preview";
import { RiskBadge, timeAgo, timeLeft } from "./risk-badge";

export function RequestDetail({
  requestId,
  meId,
  onDecided,
  focusOnLoad = false,
}: {
  requestId: string;
  meId: string;
  onDecided: () => void;
  /** The reader opened this request: focus moves to its heading once it is on screen. */
  focusOnLoad?: boolean;
}) {
  const decision = useRequestDecision({ requestId, meId, onDecided });
  const { detail, request } = decision;
  if (detail.isPending)
    return (
      <p role="status" className="p-8 text-slate-500">
        Loading request…
      </p>
    );
  if (detail.error) return <InlineError message={detail.error.message} className="p-8" />;
  if (!request || !detail.data) return null;
  return <RequestView data={detail.data} decision={decision} focusOnLoad={focusOnLoad} />;
}

function RequestView({
  data,
  decision,
  focusOnLoad,
}: {
  data: NonNullable<RequestDecision["detail"]["data"]>;
  decision: RequestDecision;
  focusOnLoad: boolean;
}) {
  const { request } = data;
  const heading = useRef<HTMLHeadingElement>(null);
  // Once, as the request first appears: a refetch after a decision must not pull focus back.
  useEffect(() => {
    if (focusOnLoad) heading.current?.focus();
  }, [focusOnLoad]);
  const approvals = data.decisions.filter((entry) => entry.verdict === "APPROVE" && entry.forCurrentArguments);
  return (
    <article
      className="mx-auto max-w-4xl space-y-5 p-3 sm:p-6"
      data-testid="request-detail"
      data-status={request.status}
    >
      <header className="flex flex-wrap items-center gap-3">
        <h1 ref={heading} tabIndex={-1} className="min-w-0 font-mono text-lg font-semibold break-all">
          {request.toolName}
        </h1>
        <RiskBadge riskClass={request.riskClass} />
        <RunTraceLink runId={request.runId} />
        <Badge>{request.status.toLowerCase()}</Badge>
        <span className="ml-auto text-sm text-slate-500">
          {request.requester.name} · {timeAgo(request.createdAt)}
          {decision.pending ? ` · ${timeLeft(request.expiresAt)}` : ""}
        </span>
      </header>

      {request.toolFlag ? <ToolFlagNotice flag={request.toolFlag} /> : null}
      {request.preview ? <RequestPreview preview={request.preview} /> : null}

      <section className="grid gap-4 md:grid-cols-2">
        <Panel>
          <h2 className="text-sm font-semibold">Arguments{request.editedArgs ? " (edited by a reviewer)" : ""}</h2>
          <ScrollPre className="mt-2 max-h-60 overflow-auto font-mono text-xs break-all whitespace-pre-wrap">
            {prettyJson(request.editedArgs ?? request.args)}
          </ScrollPre>
          {request.editedArgs ? (
            <details className="mt-2 text-xs text-slate-500">
              <summary>Original arguments</summary>
              <ScrollPre className="mt-1 font-mono break-all whitespace-pre-wrap">{prettyJson(request.args)}</ScrollPre>
            </details>
          ) : null}
        </Panel>
        <Panel>
          <h2 className="text-sm font-semibold">Why it needs approval</h2>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm break-words">
            {request.reasons.map((reasonText) => (
              <li key={reasonText}>{reasonText}</li>
            ))}
          </ul>
          <h2 className="mt-4 text-sm font-semibold">
            Approvals: {approvals.length} of {request.requiredApprovals}
          </h2>
          <ul className="mt-1 space-y-0.5 text-sm break-words text-slate-700">
            {data.decisions.map((entry) => (
              <li key={entry.reviewerId}>
                {entry.verdict === "APPROVE" ? "✓" : "✗"} {entry.reviewer.name}
                {entry.reason ? `: ${entry.reason}` : ""}
                {!entry.forCurrentArguments ? " (for earlier arguments)" : ""}
              </li>
            ))}
            {data.decisions.length === 0 ? <li className="text-slate-500">None yet</li> : null}
          </ul>
          {request.decisionReason ? (
            <p className="mt-3 text-sm break-words text-slate-600">Outcome: {request.decisionReason}</p>
          ) : null}
          {decision.pending ? null : <CallOutcomeDetail status={request.callStatus} error={request.callError} />}
        </Panel>
      </section>

      {decision.pending ? (
        // Sticky at both edges: however far the reviewer scrolls, the decision stays on screen.
        <div className="sticky top-0 bottom-0 z-10 rounded-xl border border-slate-300 bg-white p-3 shadow-lg sm:p-4">
          <DecisionBar decision={decision} />
        </div>
      ) : null}

      <section>
        <h2 className="mb-2 text-sm font-semibold">Conversation leading to this request</h2>
        <div className="space-y-2">
          {data.context.map((message) => (
            <ContextMessage key={message.id} message={message} />
          ))}
        </div>
      </section>
    </article>
  );
}
