"use client";
import { ChatView } from "./chat-view";
import { ConversationSidebar } from "./conversation-sidebar";

export function ChatWorkspace({ conversationId }: { conversationId?: string }) {
  return (
    <div className="flex h-full">
      <ConversationSidebar activeId={conversationId} />
      <ChatView key={conversationId ?? "new"} conversationId={conversationId} />
    </div>
  );
}
