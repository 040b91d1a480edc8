"use client";
/**
 * Light and dark themes. The page follows the device (prefers-color-scheme) until the
 * user picks one; the pick is remembered for that user in this browser (localStorage,
 * keyed by user id). `themeScript` applies it before the first paint, so a dark page
 * never flashes light; `ThemeToggle` changes it and keeps "system" in step with the device.
 */
import { useEffect } from "react";
import { useStoredPreference } from "../hooks/use-stored-preference";
import { DARK_QUERY, THEMES, type Theme } from "./theme-script";

/** Sets the `dark` class on <html> from the user's pick, else the device's setting. */
export function applyTheme(theme: Theme): void {
  const dark = theme === "dark" || (theme === "system" && window.matchMedia(DARK_QUERY).matches);
  document.documentElement.classList.toggle("dark", dark);
  document.documentElement.style.colorScheme = dark ? "dark" : "light";
}

/** Applies `theme` now, and again whenever the device's setting changes while it is "system". */
function useAppliedTheme(theme: Theme): void {
  useEffect(() => {
    applyTheme(theme);
    if (theme !== "system") return;
    const list = window.matchMedia(DARK_QUERY);
    const onChange = () => applyTheme("system");
    list.addEventListener("change", onChange);
    return () => list.removeEventListener("change", onChange);
  }, [theme]);
}

/** Follows the device's setting where no user is known (the sign-in page). */
export function SystemTheme() {
  useAppliedTheme("system");
  return null;
}

const NEXT: Record<Theme, Theme> = { system: "light", light: "dark", dark: "system" };
const LABEL: Record<Theme, string> = {
  system: "Theme: following your device",
  light: "Theme: light",
  dark: "Theme: dark",
};
const ICON: Record<Theme, string> = { system: "◐", light: "☀", dark: "☾" };

export function ThemeToggle({ userId }: { userId: string }) {
  const [theme, setTheme] = useStoredPreference<Theme>("theme", userId, THEMES, "system");
  useAppliedTheme(theme);
  return (
    <button
      type="button"
      data-testid="theme-toggle"
      data-theme={theme}
      onClick={() => setTheme(NEXT[theme])}
      aria-label={`${LABEL[theme]} (change)`}
      title={LABEL[theme]}
      className="flex h-8 w-8 items-center justify-center rounded-md border border-slate-300 text-base hover:bg-slate-100"
    >
      <span aria-hidden>{ICON[theme]}</span>
    </button>
  );
}
