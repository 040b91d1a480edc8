import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { serverThemeAttributes, ThemeScript } from "@/components/ui/theme-script";
import { currentUser } from "@/server/api/server-caller";
import "./globals.css";

export const metadata: Metadata = {
  title: "Airlock",
  description: "AI agents that act on real systems, with human approval for every consequential action.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // The signed-in user's pick, drawn by the server: no flash, whatever this browser remembers.
  // Signed out, or the database away (the pages say so), the device's setting applies.
  const theme = (await currentUser().catch(() => null))?.theme ?? "SYSTEM";
  return (
    // The theme script (SYSTEM only) and the toggle change <html>'s class outside React.
    <html lang="en" suppressHydrationWarning {...serverThemeAttributes(theme)}>
      <head>
        <ThemeScript theme={theme} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
