"use client";
/**
 * What tells a reviewer about new work wherever they are in the app: the pending count
 * (live, from the approvals watch stream) shown in the tab title as "(3) Airlock", and,
 * if they opted in, a browser notification for each new request they may decide (not
 * their own) while the tab is in the background. Clicking it opens that request.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef } from "react";
import { useTRPC } from "../trpc";
import { inboxHref } from "./use-inbox-selection";
import { useStoredPreference } from "./use-stored-preference";

export const NOTIFY_CHOICES = ["off", "on"] as const;

export function useNotifyPreference(meId: string) {
  return useStoredPreference("notify-new-requests", meId, NOTIFY_CHOICES, "off");
}

const BASE_TITLE = "Airlock";

export function usePendingRequests(meId: string): number | undefined {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const count = useQuery(trpc.approvals.pendingCount.queryOptions());
  const [notify] = useNotifyPreference(meId);
  const notifyRef = useRef(notify);
  notifyRef.current = notify;

  useSubscription(
    trpc.approvals.watch.subscriptionOptions(undefined, {
      onData: (data) => {
        const before = queryClient.getQueryData(trpc.approvals.pendingCount.queryKey());
        queryClient.setQueryData(trpc.approvals.pendingCount.queryKey(), data.pending);
        if (data.changedId && before !== undefined && data.pending > before && notifyRef.current === "on")
          void notifyOfRequest(data.changedId);
      },
    }),
  );

  async function notifyOfRequest(requestId: string) {
    if (!("Notification" in window) || Notification.permission !== "granted" || !document.hidden) return;
    const detail = await queryClient.fetchQuery(trpc.approvals.get.queryOptions({ id: requestId }));
    const { request } = detail;
    if (request.status !== "PENDING" || request.requesterId === meId) return;
    const notification = new Notification(`Approval needed: ${request.toolName}`, {
      body: `${request.requester.name}: ${request.preview?.summary ?? "a request waits for a reviewer"}`,
      tag: `airlock-request-${request.id}`,
    });
    notification.onclick = () => {
      window.focus();
      window.location.assign(inboxHref(request.id));
    };
  }

  // The title follows the count. Next sets the page's own title again on navigations
  // (a changed ?request= included), whenever its head update lands: watch the head and
  // re-apply, instead of racing it once per pathname.
  useEffect(() => {
    const wanted = count.data ? `(${count.data}) ${BASE_TITLE}` : BASE_TITLE;
    const apply = () => {
      if (document.title !== wanted) document.title = wanted;
    };
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(document.head, { subtree: true, childList: true, characterData: true });
    return () => observer.disconnect();
  }, [count.data]);

  return count.data;
}
