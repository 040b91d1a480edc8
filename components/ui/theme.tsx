"use client";
/**
 * Light and dark themes. The page follows the device (prefers-color-scheme) until the
 * user picks one; the pick is stored on the server (me.setTheme), so every browser and
 * device they sign in on draws it at first paint (components/ui/theme-script.tsx). This
 * browser keeps a copy in localStorage only as a cache, so its other open tabs follow a
 * change at once; the server's value wins whenever a page loads.
 */
import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { THEMES, type ThemeChoice } from "@/server/shared/user-schemas";
import { preferenceKey } from "../hooks/preference-key";
import { useTRPC } from "../trpc";
import { DARK_QUERY } from "./theme-script";

function isDark(theme: ThemeChoice): boolean {
  return theme === "DARK" || (theme === "SYSTEM" && window.matchMedia(DARK_QUERY).matches);
}

/** Sets the `dark` class on <html> from the user's pick, else the device's setting. */
export function applyTheme(theme: ThemeChoice): void {
  const dark = isDark(theme);
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

/**
 * Applies `theme` now, again whenever the device's setting changes while it is SYSTEM, and
 * again if <html> is redrawn from the server (router.refresh re-renders the root layout
 * with the class of the page's first load, which a later pick has made stale).
 */
function useAppliedTheme(theme: ThemeChoice): void {
  useEffect(() => {
    applyTheme(theme);
    const root = document.documentElement;
    const redrawn = new MutationObserver(() => {
      const dark = isDark(theme);
      if (root.classList.contains("dark") !== dark || root.style.colorScheme !== (dark ? "dark" : "light"))
        applyTheme(theme);
    });
    redrawn.observe(root, { attributes: true, attributeFilter: ["class", "style"] });
    const list = window.matchMedia(DARK_QUERY);
    const onChange = () => applyTheme(theme);
    if (theme === "SYSTEM") list.addEventListener("change", onChange);
    return () => {
      redrawn.disconnect();
      list.removeEventListener("change", onChange);
    };
  }, [theme]);
}

/** Follows the device's setting where no user is known (the sign-in page). */
export function SystemTheme() {
  useAppliedTheme("SYSTEM");
  return null;
}

const NEXT: Record<ThemeChoice, ThemeChoice> = { SYSTEM: "LIGHT", LIGHT: "DARK", DARK: "SYSTEM" };
const LABEL: Record<ThemeChoice, string> = {
  SYSTEM: "Theme: following your device",
  LIGHT: "Theme: light",
  DARK: "Theme: dark",
};
const ICON: Record<ThemeChoice, string> = { SYSTEM: "◐", LIGHT: "☀", DARK: "☾" };

/** The tab that made a change tells this browser's other tabs through the cache (a storage event). */
function useThemeFromOtherTabs(userId: string, onChange: (theme: ThemeChoice) => void): void {
  useEffect(() => {
    const key = preferenceKey("theme", userId);
    const onStorage = (event: StorageEvent) => {
      const value = event.newValue as ThemeChoice | null;
      if (event.key === key && value && THEMES.includes(value)) onChange(value);
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [userId, onChange]);
}

/** `saved` is the server's value as this page was rendered: it wins over anything cached. */
export function ThemeToggle({ userId, saved }: { userId: string; saved: ThemeChoice }) {
  const trpc = useTRPC();
  const [theme, setTheme] = useState<ThemeChoice>(saved);
  useAppliedTheme(theme);
  useThemeFromOtherTabs(userId, setTheme);
  const save = useMutation(trpc.me.setTheme.mutationOptions());
  // Saves go one after another: two quick clicks sent at once could commit out of order
  // and leave the server on the older pick, which the next page load would then draw.
  const saving = useRef<Promise<unknown>>(Promise.resolve());
  const [unsaved, setUnsaved] = useState(0);

  function choose(next: ThemeChoice) {
    const previous = theme;
    setTheme(next);
    try {
      window.localStorage.setItem(preferenceKey("theme", userId), next);
    } catch {
      // Storage can be disabled: other tabs then follow on their next load.
    }
    setUnsaved((count) => count + 1);
    const run = saving.current.catch(() => {}).then(() => save.mutateAsync({ theme: next }));
    saving.current = run;
    run
      .catch(() => {
        // Not stored on the server: back to the previous pick rather than one the next load would lose.
        if (saving.current === run) setTheme(previous);
      })
      .finally(() => setUnsaved((count) => count - 1));
  }

  return (
    <button
      type="button"
      data-testid="theme-toggle"
      data-theme={theme.toLowerCase()}
      data-saving={unsaved > 0}
      onClick={() => choose(NEXT[theme])}
      aria-label={`${LABEL[theme]} (change)`}
      title={save.isError ? `${LABEL[theme]} (the last change could not be saved)` : LABEL[theme]}
      className="flex h-8 w-8 shrink-0 items-center justify-center rounded-md border border-slate-300 text-base hover:bg-slate-100"
    >
      <span aria-hidden>{ICON[theme]}</span>
    </button>
  );
}
