/** Labelled form fields and the input classes every form uses. */
import type { ReactNode } from "react";

/** Inputs without a width, for toolbars that size them. */
export const controlClass =
  "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-xs placeholder:text-slate-500 focus:border-indigo-500 disabled:bg-slate-50 disabled:text-slate-500";

export const inputClass = `w-full ${controlClass}`;

export const invalidInputClass = "border-rose-400 focus:border-rose-500";

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
