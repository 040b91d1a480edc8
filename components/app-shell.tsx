"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import type { ReactNode } from "react";
import type { ThemeChoice } from "@/server/shared/user-schemas";
import { PendingBadge } from "./inbox/pending-badge";
import { ThemeToggle } from "./ui/theme";

interface Props {
  user: {
    id: string;
    name: string;
    email: string;
    role: "USER" | "REVIEWER" | "ADMIN";
    passwordTemporary?: boolean;
    theme: ThemeChoice;
  };
  children: ReactNode;
}

const ROLE_STYLE: Record<Props["user"]["role"], string> = {
  USER: "bg-slate-100 text-slate-700",
  REVIEWER: "bg-amber-100 text-amber-800",
  ADMIN: "bg-indigo-100 text-indigo-800",
};

export function AppShell({ user, children }: Props) {
  const pathname = usePathname();
  const links = [
    { href: "/chat", label: "Chat", show: true },
    { href: "/inbox", label: "Inbox", show: user.role !== "USER" },
    { href: "/admin", label: "Admin", show: user.role === "ADMIN" },
  ];
  return (
    <div className="flex h-full flex-col">
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-2 sm:gap-6 sm:px-4">
        <Link href="/chat" className="flex items-center gap-2 font-semibold">
          <span
            aria-hidden
            className="flex h-7 w-7 items-center justify-center rounded-lg bg-slate-900 text-sm text-white"
          >
            A
          </span>
          <span className="sr-only sm:not-sr-only">Airlock</span>
        </Link>
        <nav aria-label="Main" className="flex gap-0.5 sm:gap-1">
          {links
            .filter((link) => link.show)
            .map((link) => {
              const active = pathname === link.href || pathname.startsWith(`${link.href}/`);
              return (
                <Link
                  key={link.href}
                  href={link.href}
                  aria-current={active ? "page" : undefined}
                  className={`inline-flex items-center rounded-md px-2 py-1.5 text-sm font-medium whitespace-nowrap sm:px-3 ${active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50"}`}
                >
                  {link.label}
                  {link.href === "/inbox" ? <PendingBadge meId={user.id} /> : null}
                </Link>
              );
            })}
        </nav>
        <div className="ml-auto flex min-w-0 items-center gap-1.5 text-sm sm:gap-3">
          <span className="hidden min-w-0 text-right md:block">
            <span className="block truncate leading-tight font-medium">{user.name}</span>
            <span className="block truncate text-xs text-slate-500">{user.email}</span>
          </span>
          <Link
            href="/account/password"
            aria-label="Your account"
            title="Your account: password, sessions, API tokens"
            className="flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-slate-100 text-xs font-semibold hover:bg-slate-200"
          >
            <span aria-hidden>{user.name.slice(0, 1).toUpperCase()}</span>
          </Link>
          <span
            data-testid="role-badge"
            className={`hidden rounded-full px-2 py-0.5 text-xs font-semibold sm:inline ${ROLE_STYLE[user.role]}`}
          >
            {user.role}
          </span>
          <ThemeToggle userId={user.id} saved={user.theme} />
          <button
            type="button"
            onClick={() => signOut({ callbackUrl: "/signin" })}
            className="shrink-0 rounded-md border border-slate-300 px-2 py-1.5 text-sm whitespace-nowrap hover:bg-slate-50 sm:px-3"
          >
            Sign out
          </button>
        </div>
      </header>
      {user.passwordTemporary && pathname !== "/account/password" ? (
        <div
          role="status"
          data-testid="temporary-password-banner"
          className="flex shrink-0 items-center gap-3 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900"
        >
          <span>An admin set a temporary password for you. Choose your own so only you know it.</span>
          <Link href="/account/password" className="font-semibold underline">
            Choose a password
          </Link>
        </div>
      ) : null}
      <main className="min-h-0 min-w-0 flex-1">{children}</main>
    </div>
  );
}
