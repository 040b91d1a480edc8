"use client";
/**
 * The conversation list beside the conversation; on a narrow screen (below md) the list
 * is a drawer over it, opened from the conversation's header, closed by Escape, the
 * backdrop, or picking a conversation. Focus moves into the drawer and back to its opener.
 */
import { useEffect, useRef, useState } from "react";
import { ChatView } from "./chat-view";
import { ConversationSidebar } from "./conversation-sidebar";

export function ChatWorkspace({ conversationId }: { conversationId?: string }) {
  const [drawerOpen, setDrawerOpen] = useState(false);
  const opener = useRef<HTMLElement | null>(null);
  const drawer = useRef<HTMLDivElement>(null);

  // A conversation picked in the drawer closes it.
  useEffect(() => setDrawerOpen(false), [conversationId]);

  useEffect(() => {
    if (!drawerOpen) return;
    drawer.current?.querySelector<HTMLElement>("a, button")?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setDrawerOpen(false);
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      if (opener.current?.isConnected) opener.current.focus();
    };
  }, [drawerOpen]);

  return (
    <div className="relative flex h-full min-w-0">
      {drawerOpen ? (
        <button
          type="button"
          aria-label="Close conversations"
          tabIndex={-1}
          onClick={() => setDrawerOpen(false)}
          className="fixed inset-0 z-30 bg-black/50 md:hidden"
        />
      ) : null}
      <div
        ref={drawer}
        className={`${drawerOpen ? "fixed inset-y-0 left-0 z-40 flex w-72 max-w-[85vw] shadow-2xl" : "hidden"} md:static md:z-auto md:flex md:shadow-none`}
      >
        <ConversationSidebar activeId={conversationId} />
      </div>
      <ChatView
        key={conversationId ?? "new"}
        conversationId={conversationId}
        onOpenConversations={() => {
          opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
          setDrawerOpen(true);
        }}
      />
    </div>
  );
}
