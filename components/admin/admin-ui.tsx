"use client";
/** Small building blocks shared by the admin console's screens. */
import { type ReactNode, useEffect, useId, useRef, useState } from "react";

/** What a failed tRPC call looks like to a component (see the server's errorFormatter). */
export interface ClientError {
  message: string;
  data?: { code?: string; domainCode?: string; fieldErrors?: Record<string, string> } | null;
}

/** Inputs without a width, for toolbars that size them. */
export const controlClass =
  "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-xs placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500";

export const inputClass = `w-full ${controlClass}`;

export const invalidInputClass = "border-rose-400 focus:border-rose-500";

const BUTTON_STYLE = {
  primary: "bg-slate-900 text-white hover:bg-slate-700",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50",
  danger: "bg-rose-600 text-white hover:bg-rose-700",
  ghost: "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
} as const;

export function Button({
  variant = "secondary",
  size = "md",
  className = "",
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: keyof typeof BUTTON_STYLE;
  size?: "sm" | "md";
}) {
  const sizing = size === "sm" ? "px-2.5 py-1 text-xs" : "px-3.5 py-1.5 text-sm";
  return (
    <button
      type="button"
      {...props}
      className={`inline-flex items-center justify-center gap-1.5 rounded-lg font-medium whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-50 ${sizing} ${BUTTON_STYLE[variant]} ${className}`}
    />
  );
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <header className="flex flex-wrap items-start gap-4">
      <div className="min-w-0 flex-1">
        <h1 className="text-xl font-semibold tracking-tight">{title}</h1>
        {description ? <p className="mt-1 max-w-3xl text-sm text-slate-600">{description}</p> : null}
      </div>
      {actions ? <div className="flex shrink-0 items-center gap-2">{actions}</div> : null}
    </header>
  );
}

export function Card({
  title,
  description,
  actions,
  children,
  className = "",
  testId,
}: {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`rounded-xl border border-slate-200 bg-white shadow-xs ${className}`} data-testid={testId}>
      {title || actions ? (
        <div className="flex items-start gap-3 border-b border-slate-100 px-5 py-3.5">
          <div className="min-w-0 flex-1">
            {title ? <h2 className="text-sm font-semibold">{title}</h2> : null}
            {description ? <p className="mt-0.5 text-xs text-slate-500">{description}</p> : null}
          </div>
          {actions ? <div className="flex shrink-0 items-center gap-2">{actions}</div> : null}
        </div>
      ) : null}
      <div className="px-5 py-4">{children}</div>
    </section>
  );
}

export function LoadingRows({ rows = 3, label = "Loading…" }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} className="space-y-2">
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="h-9 animate-pulse rounded-lg bg-slate-100" />
      ))}
    </div>
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
      <div className="min-w-0 flex-1">
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

export function Field({
  label,
  htmlFor,
  error,
  hint,
  children,
  className = "",
}: {
  label: ReactNode;
  htmlFor: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={className}>
      <label htmlFor={htmlFor} className="mb-1 block text-xs font-medium text-slate-700">
        {label}
      </label>
      {children}
      {error ? (
        <p className="mt-1 text-xs text-rose-700" id={`${htmlFor}-error`}>
          {error}
        </p>
      ) : hint ? (
        <p className="mt-1 text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}

export function Dialog({
  title,
  description,
  children,
  onClose,
  wide = false,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  onClose: () => void;
  wide?: boolean;
}) {
  const titleId = useId();
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    panel.current?.querySelector<HTMLElement>("input, select, textarea, button")?.focus();
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-6 pt-[8vh]">
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className={`w-full rounded-xl bg-white shadow-2xl ${wide ? "max-w-3xl" : "max-w-lg"}`}
      >
        <div className="border-b border-slate-100 px-5 py-4">
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          {description ? <div className="mt-1 text-sm text-slate-600">{description}</div> : null}
        </div>
        <div className="px-5 py-4">{children}</div>
      </div>
    </div>
  );
}

/** For changes that lower protection: the admin types an exact phrase, which the server checks and audits. */
export function TypedConfirmDialog({
  title,
  body,
  phrase,
  confirmLabel,
  pending,
  error,
  onConfirm,
  onCancel,
}: {
  title: string;
  body: ReactNode;
  phrase: string;
  confirmLabel: string;
  pending?: boolean;
  error?: ClientError | null;
  onConfirm: (typed: string) => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState("");
  const inputId = useId();
  const matches = typed === phrase;
  return (
    <Dialog title={title} onClose={onCancel} description={body}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (matches) onConfirm(typed);
        }}
        className="space-y-3"
      >
        <Field
          label={
            <>
              Type <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-rose-700">{phrase}</code> to confirm
            </>
          }
          htmlFor={inputId}
          hint="This confirmation is recorded in the audit log with your name."
        >
          <input
            id={inputId}
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            className={`${inputClass} font-mono`}
          />
        </Field>
        <ErrorNotice error={error} />
        <div className="flex justify-end gap-2">
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="danger" disabled={!matches || pending}>
            {pending ? "Saving…" : confirmLabel}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

export function Pill({ tone = "slate", children }: { tone?: keyof typeof PILL_TONE; children: ReactNode }) {
  return (
    <span className={`inline-flex items-center rounded-full px-2 py-0.5 text-xs font-semibold ${PILL_TONE[tone]}`}>
      {children}
    </span>
  );
}

const PILL_TONE = {
  slate: "bg-slate-100 text-slate-700",
  green: "bg-emerald-100 text-emerald-800",
  amber: "bg-amber-100 text-amber-800",
  rose: "bg-rose-100 text-rose-800",
  indigo: "bg-indigo-100 text-indigo-800",
  violet: "bg-violet-100 text-violet-800",
} as const;

export function formatDateTime(value: Date | string): string {
  return new Date(value).toLocaleString("en-GB", {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** A readable temporary password for invites and resets (the user replaces it at first sign-in). */
export function generateTemporaryPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = new Uint32Array(16);
  crypto.getRandomValues(bytes);
  const characters = Array.from(bytes, (value) => alphabet[value % alphabet.length]).join("");
  return `${characters.slice(0, 4)}-${characters.slice(4, 8)}-${characters.slice(8, 12)}-${characters.slice(12, 16)}`;
}
