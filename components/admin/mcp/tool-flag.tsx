/**
 * An MCP tool an admin has not confirmed as it is defined now: "new" (its class is only the
 * server's hint) or "definition changed" since it was confirmed, with the diff. The console
 * and the inbox (a pending request for that tool) show the same flag.
 */
import { ScrollPre } from "../../ui/scroll-box";
import { Badge } from "../../ui/status";

export interface ToolFlagData {
  state: "new" | "changed";
  changedAt: Date | string | null;
  diff: Record<string, { before: unknown; after: unknown }> | null;
}

export function ToolFlagBadge({ flag }: { flag: Pick<ToolFlagData, "state"> }) {
  return flag.state === "changed" ? (
    <Badge
      tone="rose"
      testId="tool-flag-changed"
      title="The server changed this tool's definition since an admin confirmed it"
    >
      definition changed
    </Badge>
  ) : (
    <Badge tone="amber" testId="tool-flag-new" title="An admin has not confirmed this tool's class yet">
      new tool
    </Badge>
  );
}

function shown(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/** Field by field, what the server changed: before (struck) and after. */
export function DefinitionDiff({ diff }: { diff: Record<string, { before: unknown; after: unknown }> }) {
  const fields = Object.entries(diff);
  if (fields.length === 0) return null;
  return (
    <dl className="space-y-2 text-xs" data-testid="definition-diff">
      {fields.map(([field, change]) => (
        <div key={field}>
          <dt className="font-medium text-slate-700">{field}</dt>
          <dd className="mt-1 grid gap-1 md:grid-cols-2">
            <ScrollPre className="max-h-40 overflow-auto rounded bg-rose-50 p-2 font-mono break-all whitespace-pre-wrap text-rose-900">
              <span className="sr-only">Before: </span>
              {shown(change.before)}
            </ScrollPre>
            <ScrollPre className="max-h-40 overflow-auto rounded bg-emerald-50 p-2 font-mono break-all whitespace-pre-wrap text-emerald-900">
              <span className="sr-only">After: </span>
              {shown(change.after)}
            </ScrollPre>
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** The inbox's panel for a pending request whose MCP tool is flagged. */
export function ToolFlagNotice({ flag }: { flag: ToolFlagData }) {
  return (
    <div
      role="note"
      data-testid="tool-flag-notice"
      className={`space-y-2 rounded-xl border p-4 text-sm ${flag.state === "changed" ? "border-rose-300 bg-rose-50/50" : "border-amber-300 bg-amber-50/50"}`}
    >
      <p className="flex flex-wrap items-center gap-2">
        <ToolFlagBadge flag={flag} />
        <span>
          {flag.state === "changed"
            ? "The MCP server changed this tool's definition since an admin confirmed it. Read what changed before you approve."
            : "An admin has not confirmed this MCP tool's class yet: what its server says about it is only a hint."}
        </span>
      </p>
      {flag.diff ? <DefinitionDiff diff={flag.diff} /> : null}
    </div>
  );
}
