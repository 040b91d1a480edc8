"use client";
/** The admin console's sections. */
import Link from "next/link";
import { usePathname } from "next/navigation";

const SECTIONS = [
  { href: "/admin", label: "Overview", hint: "Health and models at a glance" },
  { href: "/admin/tools", label: "Tools & rules", hint: "Risk classes, rules, simulator" },
  { href: "/admin/mcp", label: "MCP servers", hint: "Connected servers and their tools" },
  { href: "/admin/users", label: "Users", hint: "People and roles" },
  { href: "/admin/models", label: "Models", hint: "Providers and the default" },
  { href: "/admin/settings", label: "Approval settings", hint: "Expiry and who approves" },
  { href: "/admin/audit", label: "Audit log", hint: "Every change, chained" },
  { href: "/admin/secrets", label: "Secrets", hint: "Values for read_secret" },
] as const;

export function AdminNav() {
  const pathname = usePathname();
  return (
    <nav
      aria-label="Admin"
      className="flex shrink-0 flex-col border-b border-slate-200 bg-white lg:h-full lg:w-60 lg:border-r lg:border-b-0"
    >
      <p className="hidden px-5 pt-5 pb-3 text-xs font-semibold tracking-wide text-slate-500 uppercase lg:block">
        Admin console
      </p>
      {/* Below lg the sections are one row that scrolls sideways in its own strip. */}
      <ul className="flex gap-0.5 overflow-x-auto px-2 py-2 lg:block lg:space-y-0.5 lg:px-3 lg:py-0">
        {SECTIONS.map((section) => {
          const active = section.href === "/admin" ? pathname === "/admin" : pathname.startsWith(section.href);
          return (
            <li key={section.href}>
              <Link
                href={section.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-lg px-3 py-2 whitespace-nowrap lg:whitespace-normal ${active ? "bg-slate-900 text-white" : "text-slate-700 hover:bg-slate-100"}`}
              >
                <span className="block text-sm font-medium">{section.label}</span>
                <span className={`hidden text-xs lg:block ${active ? "text-slate-300" : "text-slate-500"}`}>
                  {section.hint}
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
      <p className="mt-auto hidden px-5 py-4 text-xs leading-relaxed text-slate-500 lg:block">
        Every change here is validated, checked against what you saw, and written to the audit chain.
      </p>
    </nav>
  );
}
