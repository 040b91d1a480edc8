"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import type { ReactNode } from "react";
import { PendingBadge } from "./inbox/pending-badge";

interface Props {
  user: { name: string; email: string; role: "USER" | "REVIEWER" | "ADMIN"; passwordTemporary?: boolean };
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
      <header className="flex h-14 shrink-0 items-center gap-6 border-b border-slate-200 bg-white px-4">
        <Link href="/chat" className="flex items-center gap-2 font-semibold">
          <span className="flex h-7 w-7 items-center justify-center rounded-lg bg-slate-900 text-sm text-white">A</span>
          Airlock
        </Link>
        <nav aria-label="Main" className="flex gap-1">
          {links
            .filter((link) => link.show)
            .map((link) => {
              const active = pathname === link.href || pathname.startsWith(`${link.href}/`);
              return (
                <Link
                  key={link.href}
                  href={link.href}
                  aria-current={active ? "page" : undefined}
                  className={`rounded-md px-3 py-1.5 text-sm font-medium ${active ? "bg-slate-100 text-slate-900" : "text-slate-600 hover:bg-slate-50"}`}
                >
                  {link.label}
                  {link.href === "/inbox" ? <PendingBadge /> : null}
                </Link>
              );
            })}
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          <Link
            href="/account/password"
            className="hidden text-right sm:block"
            title="Change your password"
            aria-label="Your account"
          >
            <span className="block font-medium leading-tight">{user.name}</span>
            <span className="block text-xs text-slate-500">{user.email}</span>
          </Link>
          <span
            data-testid="role-badge"
            className={`rounded-full px-2 py-0.5 text-xs font-semibold ${ROLE_STYLE[user.role]}`}
          >
            {user.role}
          </span>
          <button
            type="button"
            onClick={() => signOut({ callbackUrl: "/signin" })}
            className="rounded-md border border-slate-300 px-3 py-1.5 text-sm hover:bg-slate-50"
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
      <div className="min-h-0 flex-1">{children}</div>
    </div>
  );
}
