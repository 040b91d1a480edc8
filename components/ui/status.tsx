/** Loading, empty and label states: what a screen shows before or instead of its content. */
import type { ReactNode } from "react";

export function LoadingRows({ rows = 3, label = "Loading…" }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} className="space-y-2">
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="h-9 animate-pulse rounded-lg bg-slate-100" />
      ))}
    </div>
  );
}

/** A one-line "Loading…" where a skeleton would be too much. */
export function Spinner({ label = "Loading…", className = "" }: { label?: string; className?: string }) {
  return (
    <p role="status" aria-label={label} className={`text-sm text-slate-500 ${className}`}>
      <span
        aria-hidden
        className="mr-2 inline-block h-3 w-3 animate-spin rounded-full border-2 border-slate-300 border-t-slate-600 align-[-1px]"
      />
      {label}
    </p>
  );
}

export function EmptyState({ title, body, action }: { title: string; body?: ReactNode; action?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 px-6 py-8 text-center">
      <p className="text-sm font-medium">{title}</p>
      {body ? <p className="mx-auto mt-1 max-w-md text-sm text-slate-600">{body}</p> : null}
      {action ? <div className="mt-4">{action}</div> : null}
    </div>
  );
}

const BADGE_TONE = {
  slate: "bg-slate-100 text-slate-700",
  green: "bg-emerald-100 text-emerald-800",
  amber: "bg-amber-100 text-amber-800",
  rose: "bg-rose-100 text-rose-800",
  indigo: "bg-indigo-100 text-indigo-800",
  violet: "bg-violet-100 text-violet-800",
} as const;

export type BadgeTone = keyof typeof BADGE_TONE;

/** A small rounded label (a role, a status, a risk class). */
export function Badge({
  tone = "slate",
  children,
  testId,
  title,
}: {
  tone?: BadgeTone;
  children: ReactNode;
  testId?: string;
  title?: string;
}) {
  return (
    <span
      data-testid={testId}
      title={title}
      className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap ${BADGE_TONE[tone]}`}
    >
      {children}
    </span>
  );
}
