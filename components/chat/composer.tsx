"use client";
import { type FormEvent, type KeyboardEvent, useEffect, useState } from "react";
import { buttonClass } from "../ui/button";

interface Props {
  busy: boolean;
  sending: boolean;
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  stopping: boolean;
}

export const MAX_MESSAGE_CHARS = 100_000;

export function Composer({ busy, sending, onSend, onStop, stopping }: Props) {
  const [text, setText] = useState("");
  const tooLong = text.length > MAX_MESSAGE_CHARS;
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    if (busy || sending || tooLong || text.trim().length === 0) return;
    if (await onSend(text)) setText("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  return (
    <form onSubmit={submit} data-ready={ready} className="border-t border-slate-200 bg-white p-2 sm:p-3">
      <div className="mx-auto flex max-w-3xl items-end gap-2">
        <textarea
          aria-label="Message"
          placeholder="Ask the agent… (Enter to send, Shift+Enter for a new line)"
          rows={2}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          className="max-h-48 min-h-[44px] min-w-0 flex-1 resize-y rounded-xl border border-slate-300 bg-white px-3 py-2.5 text-[15px] shadow-sm focus:border-indigo-500"
        />
        {busy ? (
          <button
            type="button"
            onClick={onStop}
            disabled={stopping}
            className={`${buttonClass("secondary", "lg")} rounded-xl py-2.5`}
          >
            {stopping ? "Stopping…" : "Stop"}
          </button>
        ) : (
          <button
            type="submit"
            disabled={sending || tooLong || text.trim().length === 0}
            className={`${buttonClass("primary", "lg")} rounded-xl py-2.5`}
          >
            {sending ? "Sending…" : "Send"}
          </button>
        )}
      </div>
      {tooLong ? (
        <p role="alert" className="mx-auto mt-1 max-w-3xl text-xs text-rose-700">
          Messages are limited to {MAX_MESSAGE_CHARS.toLocaleString("en")} characters (
          {text.length.toLocaleString("en")} now).
        </p>
      ) : null}
    </form>
  );
}
