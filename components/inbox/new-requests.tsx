"use client";
/**
 * New work, for those who cannot watch the list: a polite live announcement when new
 * requests arrive (one sentence per change, however many arrived), and the opt-in for
 * browser notifications (components/hooks/use-pending-requests.ts sends them).
 */
import { useEffect, useRef, useState } from "react";
import type { InboxItem } from "../hooks/use-inbox-list";
import { useNotifyPreference } from "../hooks/use-pending-requests";
import { Button } from "../ui/button";

/**
 * `items` is whatever list the inbox shows (a view, filters): every pending request seen
 * in any of them is remembered, so going to History and back announces only what arrived
 * meanwhile, not the whole pending list again.
 */
export function NewRequestAnnouncer({ items }: { items: readonly InboxItem[] | null }) {
  const seen = useRef<Set<string> | null>(null);
  const [message, setMessage] = useState("");
  useEffect(() => {
    if (!items) return;
    const pending = items.filter((item) => item.status === "PENDING");
    // The first list is what the page shows on arrival, not news.
    if (seen.current) {
      const arrived = pending.filter((item) => !seen.current?.has(item.id));
      if (arrived.length === 1 && arrived[0])
        setMessage(`New request: ${arrived[0].toolName} from ${arrived[0].requester.name}`);
      else if (arrived.length > 1) setMessage(`${arrived.length} new requests`);
    }
    seen.current ??= new Set();
    for (const item of pending) seen.current.add(item.id);
  }, [items]);
  return (
    <p role="status" aria-live="polite" className="sr-only" data-testid="new-request-announcement">
      {message}
    </p>
  );
}

export function NotificationOptIn({ meId }: { meId: string }) {
  const [notify, setNotify] = useNotifyPreference(meId);
  const [permission, setPermission] = useState<NotificationPermission | "unsupported" | null>(null);
  useEffect(() => setPermission("Notification" in window ? Notification.permission : "unsupported"), []);
  if (permission === null || permission === "unsupported") return null;
  if (permission === "denied")
    return <p className="text-xs text-slate-500">Notifications are blocked for this site in your browser.</p>;
  const on = notify === "on" && permission === "granted";
  return (
    <Button
      size="sm"
      variant="ghost"
      aria-pressed={on}
      data-testid="notify-toggle"
      onClick={async () => {
        if (on) return setNotify("off");
        const answer = permission === "granted" ? "granted" : await Notification.requestPermission();
        setPermission(answer);
        if (answer === "granted") setNotify("on");
      }}
    >
      {on ? "Notifying you of new requests (turn off)" : "Notify me of new requests"}
    </Button>
  );
}
