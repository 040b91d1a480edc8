/** The one button of the app: chat, inbox, admin and account pick a variant, never their own colours. */
import type { ButtonHTMLAttributes } from "react";

const BUTTON_STYLE = {
  primary: "bg-slate-900 text-white hover:bg-slate-700",
  secondary: "border border-slate-300 bg-white text-slate-800 hover:bg-slate-50",
  approve: "bg-emerald-700 text-white hover:bg-emerald-800",
  danger: "bg-rose-700 text-white hover:bg-rose-800",
  ghost: "text-slate-600 hover:bg-slate-100 hover:text-slate-900",
} as const;

export type ButtonVariant = keyof typeof BUTTON_STYLE;

const SIZE_STYLE = {
  sm: "px-2.5 py-1 text-xs",
  md: "px-3.5 py-1.5 text-sm",
  lg: "px-4 py-2 text-sm",
} as const;

/** The class string of a button, for links and labels that look like one. */
export function buttonClass(variant: ButtonVariant = "secondary", size: keyof typeof SIZE_STYLE = "md"): string {
  return `inline-flex items-center justify-center gap-1.5 rounded-lg font-medium whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-50 ${SIZE_STYLE[size]} ${BUTTON_STYLE[variant]}`;
}

export function Button({
  variant = "secondary",
  size = "md",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: ButtonVariant;
  size?: keyof typeof SIZE_STYLE;
}) {
  return <button type="button" {...props} className={`${buttonClass(variant, size)} ${className}`} />;
}

/** A key hint inside a button ("Approve a"). */
export function Kbd({ children }: { children: string }) {
  return (
    <kbd aria-hidden className="ml-1 rounded bg-black/20 px-1 font-mono text-xs">
      {children}
    </kbd>
  );
}
