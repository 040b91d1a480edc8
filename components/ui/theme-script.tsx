/**
 * The theme at first paint. The user's pick lives on their row (User.theme), so the
 * server draws it into <html> (app/layout.tsx): a dark pick is dark before any script
 * runs, on every browser and device they sign in on. Only SYSTEM depends on the device
 * (prefers-color-scheme), which the server cannot see: for it this inline script, run
 * before the body is parsed, sets the class. components/ui/theme.tsx changes it afterwards.
 */
import type { ThemeChoice } from "@/server/shared/user-schemas";

export const DARK_QUERY = "(prefers-color-scheme: dark)";

/** What the server can put on <html> for a pick; SYSTEM is left to the script. */
export function serverThemeAttributes(theme: ThemeChoice): { className?: string; style?: { colorScheme: string } } {
  if (theme === "DARK") return { className: "dark", style: { colorScheme: "dark" } };
  if (theme === "LIGHT") return { style: { colorScheme: "light" } };
  return {};
}

export const SYSTEM_THEME_SCRIPT = `(function(){try{var d=matchMedia(${JSON.stringify(DARK_QUERY)}).matches;document.documentElement.classList.toggle("dark",d);document.documentElement.style.colorScheme=d?"dark":"light"}catch(e){}})()`;

export function ThemeScript({ theme }: { theme: ThemeChoice }) {
  if (theme !== "SYSTEM") return null;
  // Our own constant script: nothing from the request goes into it.
  return <script dangerouslySetInnerHTML={{ __html: SYSTEM_THEME_SCRIPT }} />;
}
