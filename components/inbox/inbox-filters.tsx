/** The inbox's view tabs (pending, history) and its filters. */
import type { RiskClass } from "@/server/shared/risk";
import { type InboxFilters as Filters, INBOX_VIEWS, type InboxView } from "../hooks/use-inbox-list";
import { controlClass } from "../ui/field";

const AGES = [
  { label: "Any age", value: "" },
  { label: "Older than 1 h", value: "60" },
  { label: "Older than 1 day", value: "1440" },
];

export function InboxTabs({ view, onChange }: { view: InboxView; onChange: (view: InboxView) => void }) {
  return (
    <div className="flex flex-wrap items-center gap-1" role="tablist">
      {(Object.keys(INBOX_VIEWS) as InboxView[]).map((key) => (
        <button
          key={key}
          type="button"
          role="tab"
          aria-selected={view === key}
          onClick={() => onChange(key)}
          className={`rounded-md px-3 py-1.5 text-sm font-medium ${view === key ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`}
        >
          {INBOX_VIEWS[key].label}
        </button>
      ))}
      <span className="ml-auto hidden text-xs text-slate-500 sm:inline">
        j/k move · a approve · r reject · e edit · x select
      </span>
    </div>
  );
}

export function InboxFilterBar({
  filters,
  tools,
  onChange,
}: {
  filters: Filters;
  tools: readonly string[];
  onChange: <K extends keyof Filters>(key: K, value: Filters[K]) => void;
}) {
  const select = `${controlClass} min-w-0 px-2 py-1`;
  return (
    <div className="grid grid-cols-2 gap-2 text-sm">
      <select
        aria-label="Risk class"
        value={filters.riskClass}
        onChange={(event) => onChange("riskClass", event.target.value as RiskClass | "")}
        className={select}
      >
        <option value="">Any risk</option>
        <option value="DESTRUCTIVE">Destructive</option>
        <option value="SENSITIVE_READ">Sensitive read</option>
        <option value="READ">Read</option>
      </select>
      <select
        aria-label="Tool"
        value={filters.toolName}
        onChange={(event) => onChange("toolName", event.target.value)}
        className={select}
      >
        <option value="">Any tool</option>
        {tools.map((tool) => (
          <option key={tool} value={tool}>
            {tool}
          </option>
        ))}
      </select>
      <input
        aria-label="Requester"
        placeholder="Requester"
        value={filters.requester}
        onChange={(event) => onChange("requester", event.target.value)}
        className={select}
      />
      <select
        aria-label="Age"
        value={filters.age}
        onChange={(event) => onChange("age", event.target.value)}
        className={select}
      >
        {AGES.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
