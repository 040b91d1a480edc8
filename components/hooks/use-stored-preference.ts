"use client";
/**
 * A small per-user preference kept in this browser's localStorage under a key that
 * includes the user's id, so two people sharing a browser keep their own.
 */
import { useCallback, useSyncExternalStore } from "react";

import { preferenceKey } from "./preference-key";

const CHANGED = "airlock:preference-changed";

export function readPreference(name: string, userId: string): string | null {
  try {
    return window.localStorage.getItem(preferenceKey(name, userId));
  } catch {
    // Storage can be disabled (private mode, a policy): the default applies.
    return null;
  }
}

export function useStoredPreference<T extends string>(
  name: string,
  userId: string,
  allowed: readonly T[],
  fallback: T,
): [T, (value: T) => void] {
  const subscribe = useCallback((onChange: () => void) => {
    window.addEventListener("storage", onChange);
    window.addEventListener(CHANGED, onChange);
    return () => {
      window.removeEventListener("storage", onChange);
      window.removeEventListener(CHANGED, onChange);
    };
  }, []);
  const stored = useSyncExternalStore(
    subscribe,
    () => readPreference(name, userId),
    () => null,
  );
  const value = allowed.includes(stored as T) ? (stored as T) : fallback;
  const set = useCallback(
    (next: T) => {
      try {
        window.localStorage.setItem(preferenceKey(name, userId), next);
      } catch {
        // Not stored; this page still applies it below.
      }
      window.dispatchEvent(new Event(CHANGED));
    },
    [name, userId],
  );
  return [value, set];
}
