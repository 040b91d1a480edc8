"use client";
/**
 * A modal dialog: focus moves into it when it opens (to the element marked data-autofocus,
 * else the first field or button), Tab stays inside, Escape closes it, and focus returns
 * to whatever had it before (the button that opened it).
 */
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { Button } from "./button";
import { Field, inputClass } from "./field";
import { type ClientError, ErrorNotice } from "./notice";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Dialog({
  title,
  description,
  children,
  onClose,
  wide = false,
  describedBy,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
  onClose: () => void;
  wide?: boolean;
  /** The id of the text that says what the dialog is about, when it is not `description`. */
  describedBy?: string;
}) {
  const titleId = useId();
  const descriptionId = useId();
  const panel = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    panel.current?.querySelector<HTMLElement>("[data-autofocus], input, select, textarea, button")?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close.current();
      if (event.key !== "Tab" || !panel.current) return;
      const focusable = [...panel.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (!first || !last) return;
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <div className="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-black/50 p-3 pt-[8vh] sm:p-6">
      <div
        ref={panel}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descriptionId : describedBy}
        className={`w-full min-w-0 rounded-xl bg-white shadow-2xl ${wide ? "max-w-3xl" : "max-w-lg"}`}
      >
        <div className="border-b border-slate-100 px-5 py-4">
          <h2 id={titleId} className="text-base font-semibold break-words">
            {title}
          </h2>
          {description ? (
            <div id={descriptionId} className="mt-1 text-sm text-slate-600">
              {description}
            </div>
          ) : null}
        </div>
        <div className="px-5 py-4">{children}</div>
      </div>
    </div>
  );
}

/**
 * "Delete this rule?", "Revoke this token?", "Approve these requests?": what will happen, in
 * a sentence or a list, then Cancel and the one button that does it. Cancel has the focus,
 * so Enter or a stray key never confirms; Escape cancels, except while the action runs.
 */
export function ConfirmDialog({
  title,
  body,
  confirmLabel,
  pendingLabel,
  pending = false,
  variant = "danger",
  error,
  onReload,
  onConfirm,
  onCancel,
}: {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  /** Shown on the confirm button while the action runs ("Deleting…"). */
  pendingLabel?: string;
  pending?: boolean;
  variant?: "danger" | "approve";
  error?: ClientError | null;
  /** Offered on a conflict (someone else changed it first). */
  onReload?: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const bodyId = useId();
  return (
    <Dialog title={title} describedBy={bodyId} onClose={() => (pending ? undefined : onCancel())}>
      <div id={bodyId} className="text-sm">
        {body}
      </div>
      {error ? (
        <div className="mt-3">
          <ErrorNotice error={error} onReload={onReload} />
        </div>
      ) : null}
      <div className="mt-4 flex justify-end gap-2">
        <Button data-autofocus onClick={onCancel} disabled={pending}>
          Cancel
        </Button>
        <Button variant={variant} onClick={onConfirm} disabled={pending}>
          {pending && pendingLabel ? pendingLabel : confirmLabel}
        </Button>
      </div>
    </Dialog>
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
