"use client";
import { RunTraceLink } from "../trace/run-trace-view";
import { Markdown } from "./markdown";
import { ToolCallCard } from "./tool-call-card";
import type { RunView } from "./transcript";

export function UserBubble({ text }: { text: string }) {
  return (
    <div className="flex justify-end">
      <div
        data-testid="user-message"
        className="max-w-[85%] whitespace-pre-wrap break-words rounded-2xl rounded-br-sm bg-slate-900 px-4 py-2.5 text-[15px] text-white"
      >
        {text}
      </div>
    </div>
  );
}

export function RunTranscript({ run, live }: { run: RunView; live: boolean }) {
  const waiting = live && (run.status === "QUEUED" || (run.status === "RUNNING" && run.steps.length === 0));
  return (
    <div className="space-y-3" data-run-id={run.runId}>
      <UserBubble text={run.userText} />
      <div data-testid="assistant-message" data-status={run.status} className="max-w-[92%] space-y-1">
        {run.steps.map((step) => (
          <div key={step.index}>
            {step.interruptedText ? (
              <div data-testid="interrupted-text" className="text-slate-400">
                <Markdown text={step.interruptedText} />
              </div>
            ) : null}
            {step.resumed ? (
              <p data-testid="step-resumed" className="text-xs font-medium text-slate-500" role="status">
                {step.interruptedText
                  ? "Resumed after an interruption: the model answered again."
                  : "Resumed after an interruption."}
              </p>
            ) : null}
            {step.text ? <Markdown text={step.text} /> : null}
            {step.toolCalls.map((call) => (
              <ToolCallCard key={call.key} call={call} />
            ))}
          </div>
        ))}
        {waiting ? (
          <div className="flex items-center gap-2 text-sm text-slate-500" role="status">
            <span className="inline-flex gap-1">
              <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-slate-400" />
              <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-slate-400 [animation-delay:120ms]" />
              <span className="h-1.5 w-1.5 animate-bounce rounded-full bg-slate-400 [animation-delay:240ms]" />
            </span>
            Thinking…
          </div>
        ) : null}
        {run.status === "AWAITING_APPROVAL" ? (
          <p className="rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-800" role="status">
            Waiting for a reviewer to approve the pending action. You can leave; the answer continues when it is
            decided.
          </p>
        ) : null}
        {run.status === "FAILED" ? (
          <p role="alert" className="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800">
            {run.error ?? "The run failed."}
          </p>
        ) : null}
        {run.status === "CANCELLED" ? <p className="text-xs font-medium text-slate-500">Stopped.</p> : null}
        {live ? null : <RunTraceLink runId={run.runId} />}
      </div>
    </div>
  );
}
