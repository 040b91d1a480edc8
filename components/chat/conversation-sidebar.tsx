"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../trpc";
import { buttonClass } from "../ui/button";

export function ConversationSidebar({ activeId }: { activeId?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.conversation.list.queryOptions());
  const [editing, setEditing] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.conversation.list.queryKey() });
  const rename = useMutation(trpc.conversation.rename.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.conversation.delete.mutationOptions({
      onSuccess: async (_data, variables) => {
        await invalidate();
        if (variables.id === activeId) router.push("/chat");
      },
    }),
  );

  return (
    <aside
      aria-label="Conversations"
      className="flex w-full shrink-0 flex-col border-r border-slate-200 bg-white md:w-72"
    >
      <div className="p-3">
        <Link href="/chat" className={`${buttonClass("primary", "lg")} w-full`}>
          New conversation
        </Link>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {list.isPending ? <p className="px-2 py-1 text-sm text-slate-500">Loading…</p> : null}
        {list.error ? (
          <p role="alert" className="px-2 py-1 text-sm text-rose-700">
            {list.error.message}
          </p>
        ) : null}
        {list.data?.length === 0 ? <p className="px-2 py-1 text-sm text-slate-500">No conversations yet.</p> : null}
        {(rename.error ?? remove.error) ? (
          <p role="alert" className="px-2 py-1 text-xs text-rose-700">
            {(rename.error ?? remove.error)?.message}
          </p>
        ) : null}
        <ul className="space-y-0.5">
          {list.data?.map((conversation) => (
            <li key={conversation.id} className="group relative">
              {editing === conversation.id ? (
                <form
                  onSubmit={(event) => {
                    event.preventDefault();
                    rename.mutate({ id: conversation.id, title: draft });
                    setEditing(null);
                  }}
                >
                  <input
                    aria-label="Conversation title"
                    value={draft}
                    maxLength={120}
                    onChange={(event) => setDraft(event.target.value)}
                    onKeyDown={(event) => event.key === "Escape" && setEditing(null)}
                    onBlur={() => setEditing(null)}
                    className="w-full rounded-md border border-indigo-400 px-2 py-1.5 text-sm"
                    // biome-ignore lint/a11y/noAutofocus: the user just asked to rename this item
                    autoFocus
                  />
                </form>
              ) : (
                <Link
                  href={`/chat/${conversation.id}`}
                  aria-current={conversation.id === activeId ? "page" : undefined}
                  className={`block truncate rounded-md py-1.5 pr-2 pl-2 text-sm group-focus-within:pr-32 group-hover:pr-32 ${conversation.id === activeId ? "bg-slate-100 font-medium" : "hover:bg-slate-50"}`}
                >
                  {conversation.title}
                </Link>
              )}
              {editing !== conversation.id ? (
                <div className="absolute top-1 right-1 hidden gap-0.5 group-focus-within:flex group-hover:flex">
                  <button
                    type="button"
                    aria-label={`Rename ${conversation.title}`}
                    onClick={() => {
                      setEditing(conversation.id);
                      setDraft(conversation.title);
                    }}
                    className="rounded px-1.5 py-0.5 text-xs text-slate-500 hover:bg-slate-200"
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    aria-label={`Delete ${conversation.title}`}
                    onClick={() => {
                      if (window.confirm(`Delete "${conversation.title}"?`)) remove.mutate({ id: conversation.id });
                    }}
                    className="rounded px-1.5 py-0.5 text-xs text-rose-700 hover:bg-rose-50"
                  >
                    Delete
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
    </aside>
  );
}
