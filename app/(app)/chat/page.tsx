import { ChatWorkspace } from "@/components/chat/chat-workspace";

export default function ChatPage() {
  return <ChatWorkspace />;
}
