/**
 * The theme before the first paint: an inline script (rendered on the server) that sets
 * the `dark` class on <html> from the user's stored pick, else from prefers-color-scheme,
 * so a dark page never flashes light. components/ui/theme.tsx changes it afterwards.
 */
import { preferenceKey } from "../hooks/preference-key";

export const THEMES = ["system", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];

export const DARK_QUERY = "(prefers-color-scheme: dark)";

export function themeScript(userId: string | null): string {
  const key = userId ? JSON.stringify(preferenceKey("theme", userId)) : "null";
  return `(function(){try{var k=${key};var t=k&&localStorage.getItem(k);var d=t==="dark"||(t!=="light"&&matchMedia(${JSON.stringify(DARK_QUERY)}).matches);document.documentElement.classList.toggle("dark",d);document.documentElement.style.colorScheme=d?"dark":"light"}catch(e){}})()`;
}

export function ThemeScript({ userId }: { userId: string | null }) {
  // Our own constant script; its one input (the user id) is JSON-encoded.
  return <script dangerouslySetInnerHTML={{ __html: themeScript(userId) }} />;
}
