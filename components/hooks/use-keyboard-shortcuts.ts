/**
 * Single-key shortcuts on the whole window (the inbox's j/k/x, the request's a/r/e).
 *
 * The keydown listener is bound once, when the component mounts, and reads the
 * shortcuts of the latest committed render through a ref that a layout effect updates
 * before the browser paints. So the first key pressed after a list appears already
 * sees that list: a listener re-bound by a passive effect after every render (what the
 * inbox did before) holds the previous render's items until that effect runs, and a key
 * pressed in between acts on stale state or not at all.
 */
import { useEffect, useLayoutEffect, useRef } from "react";

/** Handlers by `KeyboardEvent.key`; an absent key (or `undefined`) is not a shortcut right now. */
export type Shortcuts = Partial<Record<string, (event: KeyboardEvent) => void>>;

type KeyEventLike = Pick<KeyboardEvent, "key" | "metaKey" | "ctrlKey" | "altKey" | "target" | "preventDefault">;

/** True when the key goes into a text field (or a select), where letters are typing, not commands. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (target === null || typeof target !== "object") return false;
  const element = target as Partial<Pick<HTMLElement, "tagName" | "isContentEditable">>;
  return element.isContentEditable === true || ["INPUT", "TEXTAREA", "SELECT"].includes(element.tagName ?? "");
}

/**
 * A keydown listener that runs the handler `current()` has for the key, unless the user
 * is typing or holds a modifier (those keys belong to the browser and the text field).
 * A handled key's default action is prevented (an arrow key does not also scroll).
 */
export function shortcutListener(current: () => Shortcuts): (event: KeyEventLike) => void {
  return (event) => {
    if (event.metaKey || event.ctrlKey || event.altKey || isTypingTarget(event.target)) return;
    const shortcuts = current();
    const handler = Object.hasOwn(shortcuts, event.key) ? shortcuts[event.key] : undefined;
    if (!handler) return;
    event.preventDefault();
    handler(event as KeyboardEvent);
  };
}

export function useKeyboardShortcuts(shortcuts: Shortcuts): void {
  const latest = useRef(shortcuts);
  // No dependency list on purpose: every commit hands its handlers over before paint.
  useLayoutEffect(() => {
    latest.current = shortcuts;
  });
  useEffect(() => {
    // A modal dialog makes the page beneath it inert: "a" pressed on a confirmation's Cancel
    // must not approve the request behind it, nor "x" change the batch it is asking about.
    const listener = shortcutListener(() => (document.querySelector('[aria-modal="true"]') ? {} : latest.current));
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);
}
