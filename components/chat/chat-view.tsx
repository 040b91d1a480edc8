"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { TERMINAL_RUN_STATUSES } from "@/server/shared/run-events";
import { useTRPC } from "../trpc";
import { Composer } from "./composer";
import { ModelPicker } from "./model-picker";
import { RunAnnouncer } from "./run-announcer";
import { RunTranscript } from "./run-view";
import { applyRunEvent, buildRunViews, emptyLiveRun, type RunView } from "./transcript";

export function ChatView({
  conversationId,
  onOpenConversations,
}: {
  conversationId?: string;
  /** On a narrow screen the conversation list is a drawer this opens. */
  onOpenConversations?: () => void;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const transcript = useQuery({
    ...trpc.conversation.get.queryOptions({ id: conversationId ?? "" }),
    enabled: Boolean(conversationId),
  });
  const [live, setLive] = useState<RunView | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);

  const stored = transcript.data;
  const activeRun = stored?.activeRun ?? null;
  const liveRunId = live?.runId ?? activeRun?.id ?? null;

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.conversation.get.queryKey({ id: conversationId ?? "" }) }),
      queryClient.invalidateQueries({ queryKey: trpc.conversation.list.queryKey() }),
    ]);

  const subscription = useSubscription(
    trpc.chat.events.subscriptionOptions(
      { runId: liveRunId ?? "" },
      {
        enabled: Boolean(liveRunId) && !(live && TERMINAL_RUN_STATUSES.has(live.status)),
        onStarted: () => {
          // Every (re)connection replays from the last event id tRPC tracked; a fresh page starts from zero.
        },
        onData: (tracked) => {
          setLive((current) => {
            const base = current && current.runId === liveRunId ? current : emptyLiveRun(liveRunId ?? "", "", "QUEUED");
            return applyRunEvent(base, tracked.data);
          });
          if (tracked.data.type === "run-status" && TERMINAL_RUN_STATUSES.has(tracked.data.status)) void refresh();
          if (tracked.data.type === "run-status" && tracked.data.status === "AWAITING_APPROVAL") void refresh();
        },
      },
    ),
  );

  // An interrupted stream (the server lost its database, a network blip) resumes from the
  // last event it delivered: tRPC keeps that id across a reset.
  useEffect(() => {
    if (subscription.status !== "error") return;
    const timer = setTimeout(() => subscription.reset(), 2_000);
    return () => clearTimeout(timer);
  }, [subscription]);

  // Once the stored transcript has the finished run, the live copy is no longer needed.
  useEffect(() => {
    if (!live || !stored) return;
    const storedRun = stored.runs.find((run) => run.id === live.runId);
    if (storedRun && TERMINAL_RUN_STATUSES.has(storedRun.status) && TERMINAL_RUN_STATUSES.has(live.status))
      setLive(null);
  }, [live, stored]);

  const views = useMemo(() => {
    if (!stored) return live ? [live] : [];
    const built = buildRunViews(stored.messages, stored.toolCalls, stored.runs);
    if (!live) return built;
    const index = built.findIndex((view) => view.runId === live.runId);
    const approvals = new Map(
      stored.toolCalls.flatMap((call) => (call.approval ? [[call.id, call.approval.id] as const] : [])),
    );
    const merged = {
      ...live,
      userText: index >= 0 ? (built[index]?.userText ?? live.userText) : live.userText,
      steps: live.steps.map((step) => ({
        ...step,
        toolCalls: step.toolCalls.map((call) => {
          const approvalId = approvals.get(call.key);
          return approvalId ? { ...call, approvalId } : call;
        }),
      })),
    };
    if (index < 0) return [...built, merged];
    return built.map((view, position) => (position === index ? merged : view));
  }, [stored, live]);

  const liveStatus = live?.status ?? activeRun?.status;
  const busy = Boolean(liveRunId) && liveStatus !== undefined && !TERMINAL_RUN_STATUSES.has(liveStatus);

  useEffect(() => {
    const element = scroller.current;
    if (element && stickToBottom.current) element.scrollTop = element.scrollHeight;
  });

  const create = useMutation(trpc.conversation.create.mutationOptions());
  const send = useMutation(trpc.chat.send.mutationOptions());
  const cancel = useMutation(trpc.chat.cancel.mutationOptions());

  async function onSend(text: string): Promise<boolean> {
    setSendError(null);
    try {
      let id = conversationId;
      if (!id) id = (await create.mutateAsync()).id;
      const { runId } = await send.mutateAsync({ conversationId: id, text });
      if (!conversationId) {
        router.push(`/chat/${id}`);
        return true;
      }
      stickToBottom.current = true;
      setLive(emptyLiveRun(runId, text.trim()));
      await refresh();
      return true;
    } catch (error) {
      setSendError(error instanceof Error ? error.message : "Could not send the message.");
      return false;
    }
  }

  if (conversationId && transcript.error) {
    return (
      <div className="flex flex-1 items-center justify-center p-8">
        <p role="alert" className="rounded-lg bg-rose-50 px-4 py-3 text-rose-800">
          {transcript.error.message}
        </p>
      </div>
    );
  }

  return (
    <div className="flex min-w-0 flex-1 flex-col">
      <div className="flex h-12 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-2 sm:gap-3 sm:px-4">
        {onOpenConversations ? (
          <button
            type="button"
            onClick={onOpenConversations}
            aria-label="Conversations"
            data-testid="open-conversations"
            className="rounded-md border border-slate-300 px-2 py-1 text-sm md:hidden"
          >
            <span aria-hidden>☰</span>
          </button>
        ) : null}
        <h1 className="min-w-0 truncate font-medium" data-testid="conversation-title">
          {stored?.conversation.title ?? (conversationId ? "…" : "New conversation")}
        </h1>
        <div className="ml-auto min-w-0 max-w-[60%] shrink-0 sm:max-w-none">
          <ModelPicker conversationId={conversationId} modelId={stored?.conversation.modelId ?? null} disabled={busy} />
        </div>
      </div>
      <div
        ref={scroller}
        onScroll={(event) => {
          const element = event.currentTarget;
          stickToBottom.current = element.scrollHeight - element.scrollTop - element.clientHeight < 80;
        }}
        className="min-h-0 flex-1 overflow-y-auto"
      >
        <RunAnnouncer run={views.at(-1) ?? null} />
        <div className="mx-auto max-w-3xl space-y-8 px-3 py-4 sm:px-4 sm:py-6">
          {transcript.isLoading ? <p className="text-slate-500">Loading conversation…</p> : null}
          {views.length === 0 && !transcript.isLoading ? (
            <div className="mt-16 text-center">
              <h2 className="text-lg font-semibold">What should the agent do?</h2>
              <p className="mt-1 text-sm text-slate-600">
                Reads run at once. Anything destructive waits for a reviewer's approval.
              </p>
            </div>
          ) : null}
          {views.map((view) => (
            <RunTranscript key={view.runId} run={view} live={view.runId === liveRunId} />
          ))}
          {subscription.status === "connecting" && busy ? (
            <p className="text-xs text-slate-500" role="status">
              Reconnecting to the stream…
            </p>
          ) : null}
          {subscription.error ? (
            <p role="alert" className="text-sm text-rose-700">
              Live updates stopped: {subscription.error.message}
            </p>
          ) : null}
        </div>
      </div>
      {sendError ? (
        <p role="alert" className="mx-auto w-full max-w-3xl px-4 pb-1 text-sm text-rose-700">
          {sendError}
        </p>
      ) : null}
      {cancel.error ? (
        <p role="alert" className="mx-auto w-full max-w-3xl px-4 pb-1 text-sm text-rose-700">
          {cancel.error.message}
        </p>
      ) : null}
      <Composer
        busy={busy}
        sending={send.isPending || create.isPending}
        stopping={cancel.isPending}
        onSend={onSend}
        onStop={() => liveRunId && cancel.mutate({ runId: liveRunId })}
      />
    </div>
  );
}
