"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Markdown } from "../chat/markdown";
import { useKeyboardShortcuts } from "../hooks/use-keyboard-shortcuts";
import { RunTraceLink } from "../trace/run-trace-view";
import { type RouterOutputs, useTRPC } from "../trpc";
import { RiskBadge, timeAgo, timeLeft } from "./risk-badge";

type Detail = RouterOutputs["approvals"]["get"];
type ContextPart = {
  type: string;
  text?: string;
  toolName?: string;
  input?: unknown;
  output?: { type?: string; value?: unknown };
};

function pretty(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function ContextMessage({ message }: { message: Detail["context"][number] }) {
  const parts = message.parts as ContextPart[];
  return (
    <div className={`rounded-lg px-3 py-2 text-sm ${message.role === "USER" ? "bg-slate-900 text-white" : "bg-white"}`}>
      <p className="mb-1 text-[11px] font-semibold uppercase tracking-wide opacity-60">{message.role.toLowerCase()}</p>
      {parts.map((part, index) => {
        const key = `${message.id}-${index}`;
        if (part.type === "text")
          return message.role === "USER" ? (
            <p key={key} className="whitespace-pre-wrap">
              {part.text}
            </p>
          ) : (
            <Markdown key={key} text={part.text ?? ""} />
          );
        if (part.type === "tool-call")
          return (
            <p key={key} className="font-mono text-xs">
              → {part.toolName}({JSON.stringify(part.input)})
            </p>
          );
        if (part.type === "tool-result")
          return (
            <pre key={key} className="max-h-32 overflow-auto whitespace-pre-wrap font-mono text-xs text-slate-600">
              ← {part.toolName}: {pretty(part.output?.value)}
            </pre>
          );
        return null;
      })}
    </div>
  );
}

export function RequestDetail({
  requestId,
  meId,
  onDecided,
}: {
  requestId: string;
  meId: string;
  onDecided: () => void;
}) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.approvals.get.queryOptions({ id: requestId }));
  const [mode, setMode] = useState<"idle" | "reject" | "edit">("idle");
  const [reason, setReason] = useState("");
  const [edited, setEdited] = useState("");
  const [editError, setEditError] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const editRef = useRef<HTMLTextAreaElement>(null);
  const decide = useMutation(
    trpc.approvals.decide.mutationOptions({ onSuccess: onDecided, onSettled: () => void detail.refetch() }),
  );

  const request = detail.data?.request;
  const pending = request?.status === "PENDING";
  const own = request?.requesterId === meId;
  const alreadyApproved = detail.data?.decisions.some((decision) => decision.reviewerId === meId);
  const canDecide = pending && !own && !alreadyApproved && !decide.isPending;

  function approve() {
    if (!canDecide) return;
    decide.mutate({ requestId, verdict: "approve" });
  }

  function submitEdit() {
    if (!canDecide) return;
    try {
      const editedArgs = JSON.parse(edited);
      setEditError(null);
      decide.mutate({ requestId, verdict: "approve", editedArgs });
    } catch (error) {
      setEditError(`Not valid JSON: ${(error as Error).message}`);
    }
  }

  useKeyboardShortcuts(
    canDecide
      ? {
          a: approve,
          r: () => {
            setMode("reject");
            setTimeout(() => reasonRef.current?.focus(), 0);
          },
          e: () => {
            if (!request) return;
            setEdited(pretty(request.editedArgs ?? request.args));
            setMode("edit");
            setTimeout(() => editRef.current?.focus(), 0);
          },
        }
      : {},
  );

  if (detail.isPending) return <p className="p-8 text-slate-500">Loading request…</p>;
  if (detail.error)
    return (
      <p role="alert" className="p-8 text-rose-700">
        {detail.error.message}
      </p>
    );
  if (!request || !detail.data) return null;

  const approvals = detail.data.decisions.filter(
    (decision) => decision.verdict === "APPROVE" && decision.forCurrentArguments,
  );
  return (
    <article className="mx-auto max-w-4xl space-y-5 p-6" data-testid="request-detail" data-status={request.status}>
      <header className="flex flex-wrap items-center gap-3">
        <h1 className="font-mono text-lg font-semibold">{request.toolName}</h1>
        <RiskBadge riskClass={request.riskClass} />
        <RunTraceLink runId={request.runId} />
        <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium">
          {request.status.toLowerCase()}
        </span>
        <span className="ml-auto text-sm text-slate-500">
          {request.requester.name} · {timeAgo(request.createdAt)}
          {pending ? ` · ${timeLeft(request.expiresAt)}` : ""}
        </span>
      </header>

      {request.preview ? (
        <section className="rounded-xl border border-slate-200 bg-white p-4">
          <h2 className="text-sm font-semibold">What will happen</h2>
          <p className="mt-1 text-sm" data-testid="preview-summary">
            {request.preview.summary}
          </p>
          {request.preview.detail ? (
            <pre className="mt-2 max-h-80 overflow-auto rounded-lg bg-slate-900 p-3 font-mono text-xs leading-snug text-slate-100">
              {request.preview.format === "diff"
                ? request.preview.detail
                    .split("\n")
                    .map((line, index) => (
                      <span
                        key={index}
                        className={
                          line.startsWith("+") ? "text-emerald-300" : line.startsWith("-") ? "text-rose-300" : ""
                        }
                      >{`${line}\n`}</span>
                    ))
                : request.preview.detail}
            </pre>
          ) : null}
        </section>
      ) : null}

      <section className="grid gap-4 md:grid-cols-2">
        <div className="rounded-xl border border-slate-200 bg-white p-4">
          <h2 className="text-sm font-semibold">Arguments{request.editedArgs ? " (edited by a reviewer)" : ""}</h2>
          <pre className="mt-2 max-h-60 overflow-auto whitespace-pre-wrap font-mono text-xs">
            {pretty(request.editedArgs ?? request.args)}
          </pre>
          {request.editedArgs ? (
            <details className="mt-2 text-xs text-slate-500">
              <summary>Original arguments</summary>
              <pre className="mt-1 whitespace-pre-wrap font-mono">{pretty(request.args)}</pre>
            </details>
          ) : null}
        </div>
        <div className="rounded-xl border border-slate-200 bg-white p-4">
          <h2 className="text-sm font-semibold">Why it needs approval</h2>
          <ul className="mt-2 list-disc space-y-1 pl-5 text-sm">
            {request.reasons.map((reasonText) => (
              <li key={reasonText}>{reasonText}</li>
            ))}
          </ul>
          <h2 className="mt-4 text-sm font-semibold">
            Approvals: {approvals.length} of {request.requiredApprovals}
          </h2>
          <ul className="mt-1 space-y-0.5 text-sm text-slate-700">
            {detail.data.decisions.map((decision) => (
              <li key={decision.reviewerId}>
                {decision.verdict === "APPROVE" ? "✓" : "✗"} {decision.reviewer.name}
                {decision.reason ? `: ${decision.reason}` : ""}
                {!decision.forCurrentArguments ? " (for earlier arguments)" : ""}
              </li>
            ))}
            {detail.data.decisions.length === 0 ? <li className="text-slate-500">None yet</li> : null}
          </ul>
          {request.decisionReason ? (
            <p className="mt-3 text-sm text-slate-600">Outcome: {request.decisionReason}</p>
          ) : null}
        </div>
      </section>

      {pending ? (
        <section className="rounded-xl border border-slate-200 bg-white p-4">
          {own ? (
            <p className="text-sm text-amber-800">Your own run asked for this; another reviewer must decide.</p>
          ) : null}
          {alreadyApproved ? (
            <p className="text-sm text-slate-600">You approved this; it needs another reviewer's approval too.</p>
          ) : null}
          {mode === "reject" ? (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                if (reason.trim()) decide.mutate({ requestId, verdict: "reject", reason });
              }}
              className="space-y-2"
            >
              <label htmlFor="reject-reason" className="block text-sm font-medium">
                Reason for rejecting (the agent and the requester see it)
              </label>
              <textarea
                id="reject-reason"
                ref={reasonRef}
                value={reason}
                onChange={(event) => setReason(event.target.value)}
                rows={3}
                className="w-full rounded-lg border border-slate-300 p-2 text-sm"
                onKeyDown={(event) => {
                  if (event.key === "Escape") setMode("idle");
                }}
              />
              <div className="flex gap-2">
                <button
                  type="submit"
                  disabled={!reason.trim() || !canDecide}
                  className="rounded-lg bg-rose-600 px-4 py-2 text-sm font-medium text-white hover:bg-rose-700 disabled:opacity-50"
                >
                  Reject
                </button>
                <button
                  type="button"
                  onClick={() => setMode("idle")}
                  className="rounded-lg border border-slate-300 px-4 py-2 text-sm"
                >
                  Cancel
                </button>
              </div>
            </form>
          ) : mode === "edit" ? (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                submitEdit();
              }}
              className="space-y-2"
            >
              <label htmlFor="edit-arguments" className="block text-sm font-medium">
                Edited arguments (JSON; checked against the tool's schema and the policy again)
              </label>
              <textarea
                id="edit-arguments"
                ref={editRef}
                value={edited}
                onChange={(event) => setEdited(event.target.value)}
                rows={8}
                className="w-full rounded-lg border border-slate-300 p-2 font-mono text-xs"
                onKeyDown={(event) => {
                  if (event.key === "Escape") setMode("idle");
                }}
              />
              {editError ? (
                <p role="alert" className="text-sm text-rose-700">
                  {editError}
                </p>
              ) : null}
              <div className="flex gap-2">
                <button
                  type="submit"
                  disabled={!canDecide}
                  className="rounded-lg bg-emerald-600 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-700 disabled:opacity-50"
                >
                  Approve with these arguments
                </button>
                <button
                  type="button"
                  onClick={() => setMode("idle")}
                  className="rounded-lg border border-slate-300 px-4 py-2 text-sm"
                >
                  Cancel
                </button>
              </div>
            </form>
          ) : (
            <div className="flex flex-wrap gap-2">
              <button
                type="button"
                onClick={approve}
                disabled={!canDecide}
                className="rounded-lg bg-emerald-600 px-4 py-2 text-sm font-medium text-white hover:bg-emerald-700 disabled:opacity-50"
              >
                Approve <kbd className="ml-1 rounded bg-emerald-700 px-1 text-xs">a</kbd>
              </button>
              <button
                type="button"
                onClick={() => {
                  setMode("reject");
                  setTimeout(() => reasonRef.current?.focus(), 0);
                }}
                disabled={!canDecide}
                className="rounded-lg bg-rose-600 px-4 py-2 text-sm font-medium text-white hover:bg-rose-700 disabled:opacity-50"
              >
                Reject… <kbd className="ml-1 rounded bg-rose-700 px-1 text-xs">r</kbd>
              </button>
              <button
                type="button"
                onClick={() => {
                  setEdited(pretty(request.editedArgs ?? request.args));
                  setMode("edit");
                }}
                disabled={!canDecide}
                className="rounded-lg border border-slate-300 px-4 py-2 text-sm font-medium hover:bg-slate-50 disabled:opacity-50"
              >
                Edit and approve… <kbd className="ml-1 rounded bg-slate-100 px-1 text-xs">e</kbd>
              </button>
            </div>
          )}
          {decide.error ? (
            <p role="alert" className="mt-2 text-sm text-rose-700">
              {decide.error.message}
            </p>
          ) : null}
        </section>
      ) : null}

      <section>
        <h2 className="mb-2 text-sm font-semibold">Conversation leading to this request</h2>
        <div className="space-y-2">
          {detail.data.context.map((message) => (
            <ContextMessage key={message.id} message={message} />
          ))}
        </div>
      </section>
    </article>
  );
}
