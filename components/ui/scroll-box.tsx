/**
 * Preformatted text that scrolls inside its own box (arguments, results, previews, diffs)
 * instead of widening the page. It takes keyboard focus, so a keyboard user can scroll it.
 */
import type { ReactNode } from "react";

export function ScrollPre({
  children,
  className = "",
  testId,
  label,
}: {
  children: ReactNode;
  className?: string;
  testId?: string;
  /** What the box holds, for screen readers (e.g. "Arguments"). */
  label?: string;
}) {
  return (
    <pre
      data-testid={testId}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll box must take focus to scroll by keyboard
      tabIndex={0}
      title={label}
      className={`max-w-full overflow-auto ${className}`}
    >
      {children}
    </pre>
  );
}
