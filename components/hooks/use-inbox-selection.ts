"use client";
/**
 * Which request the inbox shows, and whether the reader opened it (on a phone the detail
 * replaces the list only then).
 *
 * The selection is React state, mirrored into the URL with history.replaceState (reload,
 * back and a shared link keep it): a key press updates it synchronously, so two quick
 * presses of j move two rows, and nothing waits for Next's router to catch up with the
 * URL. Until the reader picks one, the first item of the list is shown, from the very
 * render that shows the list.
 */
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";

export function inboxHref(requestId: string | null): string {
  return requestId ? `/inbox?request=${encodeURIComponent(requestId)}` : "/inbox";
}

export interface InboxSelection {
  /** The request shown: the one picked, else the first in the list. */
  selectedId: string | null;
  /** True when the reader picked a request (a link, a click, j/k), not just the default first one. */
  opened: boolean;
  select: (id: string | null) => void;
  move: (step: 1 | -1) => void;
}

export function useInboxSelection(itemIds: readonly string[]): InboxSelection {
  const params = useSearchParams();
  const fromUrl = params.get("request");
  const [picked, setPicked] = useState<string | null>(fromUrl);
  // A navigation to another ?request= (a notification, the webhook link) picks that one.
  useEffect(() => {
    if (fromUrl) setPicked(fromUrl);
  }, [fromUrl]);

  const select = useCallback((id: string | null) => {
    setPicked(id);
    window.history.replaceState(null, "", inboxHref(id));
  }, []);

  const selectedId = picked ?? itemIds[0] ?? null;
  const move = useCallback(
    (step: 1 | -1) => {
      const index = selectedId ? itemIds.indexOf(selectedId) : -1;
      const next = itemIds[Math.min(itemIds.length - 1, Math.max(0, index + step))];
      if (next) select(next);
    },
    [itemIds, selectedId, select],
  );
  return { selectedId, opened: picked !== null, select, move };
}
