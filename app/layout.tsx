import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { ThemeScript } from "@/components/ui/theme-script";
import "./globals.css";

export const metadata: Metadata = {
  title: "Airlock",
  description: "AI agents that act on real systems, with human approval for every consequential action.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    // The theme script sets <html>'s class before React hydrates it.
    <html lang="en" suppressHydrationWarning>
      <head>
        <ThemeScript userId={null} />
      </head>
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
