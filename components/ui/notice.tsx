/** Outcomes shown in place: a failed call, a saved change. */
import type { ReactNode } from "react";
import { Button } from "./button";

/** What a failed tRPC call looks like to a component (see the server's errorFormatter). */
export interface ClientError {
  message: string;
  data?: { code?: string; domainCode?: string; fieldErrors?: Record<string, string> } | null;
}

/** A failed call, in place. A conflict (someone else saved first) offers to reload their version. */
export function ErrorNotice({
  error,
  onReload,
  onDismiss,
}: {
  error: ClientError | null | undefined;
  onReload?: () => void;
  onDismiss?: () => void;
}) {
  if (!error) return null;
  // Only an optimistic-concurrency conflict offers a reload; "last admin" is a 409 too, but not stale.
  const conflict = error.data?.domainCode === "admin:conflict";
  return (
    <div
      role="alert"
      data-testid={conflict ? "conflict-notice" : "error-notice"}
      className={`flex items-start gap-3 rounded-lg border px-3.5 py-2.5 text-sm ${conflict ? "border-amber-300 bg-amber-50 text-amber-900" : "border-rose-200 bg-rose-50 text-rose-800"}`}
    >
      <span aria-hidden className="mt-0.5 font-semibold">
        {conflict ? "⟳" : "!"}
      </span>
      <div className="min-w-0 flex-1 break-words">
        {conflict ? <p className="font-semibold">Changed by someone else</p> : null}
        <p>{error.message}</p>
      </div>
      {conflict && onReload ? (
        <Button size="sm" variant="secondary" onClick={onReload}>
          Reload
        </Button>
      ) : null}
      {onDismiss ? (
        <button type="button" onClick={onDismiss} className="text-xs opacity-70 hover:opacity-100">
          Dismiss
        </button>
      ) : null}
    </div>
  );
}

/** An error message in a line of text (a list that failed to load, a mutation's error). */
export function InlineError({ message, className = "" }: { message: string | null | undefined; className?: string }) {
  if (!message) return null;
  return (
    <p role="alert" className={`text-sm break-words text-rose-700 ${className}`}>
      {message}
    </p>
  );
}

export function SuccessNotice({ children }: { children: ReactNode }) {
  return (
    <p
      role="status"
      className="rounded-lg border border-emerald-200 bg-emerald-50 px-3.5 py-2 text-sm text-emerald-800"
    >
      {children}
    </p>
  );
}
