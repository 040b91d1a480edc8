"use client";
/** Tools & rules: every tool with its classes, the rules that apply to it, and the simulator. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo, useState } from "react";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { inputClass } from "../../ui/field";
import { ErrorNotice } from "../../ui/notice";
import { LoadingRows } from "../../ui/status";
import { RulesPanel } from "./rules-panel";
import { ToolDetail } from "./tool-detail";

const ALL_RULES = "__rules";

export function ToolsConsole() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const tools = useQuery(trpc.admin.tools.list.queryOptions());
  const rules = useQuery(trpc.admin.rules.list.queryOptions());
  const [filter, setFilter] = useState("");

  const refresh = useCallback(async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.admin.tools.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.admin.rules.pathKey() }),
    ]);
  }, [queryClient, trpc]);

  const selected = params.get("tool") ?? tools.data?.[0]?.name ?? null;
  const select = (name: string) => router.replace(`${pathname}?tool=${encodeURIComponent(name)}`, { scroll: false });

  const visible = useMemo(
    () =>
      (tools.data ?? []).filter((tool) =>
        filter ? `${tool.name} ${tool.description}`.toLowerCase().includes(filter.toLowerCase()) : true,
      ),
    [tools.data, filter],
  );
  const tool = tools.data?.find((candidate) => candidate.name === selected);
  const ruleCount = (name: string) =>
    (rules.data?.rules ?? []).filter((rule) => rule.toolName === name || rule.toolName === "*").length;

  return (
    <div className="flex h-full min-w-0 flex-col md:flex-row">
      <aside
        aria-label="Tools"
        className="flex max-h-[40vh] w-full shrink-0 flex-col border-b border-slate-200 bg-white md:max-h-none md:w-80 md:border-r md:border-b-0"
      >
        <div className="border-b border-slate-200 p-3">
          <input
            aria-label="Filter tools"
            placeholder="Filter tools"
            value={filter}
            onChange={(event) => setFilter(event.target.value)}
            className={inputClass}
          />
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto">
          <button
            type="button"
            onClick={() => select(ALL_RULES)}
            aria-current={selected === ALL_RULES ? "true" : undefined}
            className={`flex w-full items-center gap-2 border-b border-slate-100 px-4 py-3 text-left ${selected === ALL_RULES ? "bg-indigo-50" : "hover:bg-slate-50"}`}
          >
            <span className="text-sm font-medium">All rules, in policy order</span>
            <span className="ml-auto rounded-full bg-slate-100 px-2 py-0.5 text-xs font-semibold text-slate-700">
              {rules.data?.rules.length ?? "…"}
            </span>
          </button>
          {tools.isPending ? (
            <div className="p-4">
              <LoadingRows rows={6} label="Loading tools" />
            </div>
          ) : null}
          {tools.error ? (
            <div className="p-3">
              <ErrorNotice error={tools.error} />
            </div>
          ) : null}
          {tools.data && visible.length === 0 ? (
            <p className="px-4 py-6 text-center text-sm text-slate-500">No tool matches “{filter}”.</p>
          ) : null}
          <ul>
            {visible.map((item) => (
              <li key={item.name}>
                <button
                  type="button"
                  data-testid="tool-item"
                  onClick={() => select(item.name)}
                  aria-current={item.name === selected ? "true" : undefined}
                  className={`w-full border-b border-slate-100 px-4 py-2.5 text-left ${item.name === selected ? "bg-indigo-50" : "hover:bg-slate-50"}`}
                >
                  <span className="flex items-center gap-2">
                    <span className="font-mono text-sm font-medium">{item.name}</span>
                    <span className="ml-auto">
                      <RiskBadge riskClass={item.effectiveRisk} />
                    </span>
                  </span>
                  <span className="mt-0.5 line-clamp-2 text-xs text-slate-500">{item.description}</span>
                  <span className="mt-1 flex gap-2 text-[11px] text-slate-500">
                    {item.unavailableReason ? (
                      <span className="font-medium text-red-700" data-testid="tool-unavailable">
                        unavailable on this server
                      </span>
                    ) : null}
                    {item.override ? <span className="font-medium text-amber-700">class overridden</span> : null}
                    {ruleCount(item.name) > 0 ? (
                      <span>
                        {ruleCount(item.name)} rule{ruleCount(item.name) === 1 ? "" : "s"}
                      </span>
                    ) : null}
                    {item.classifiesPerCall ? <span>classifies per call</span> : null}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      </aside>
      <section aria-label="Tool" className="min-w-0 flex-1 overflow-y-auto">
        {selected === ALL_RULES ? (
          <div className="mx-auto max-w-5xl space-y-5 p-3 sm:p-6">
            <header>
              <h1 className="text-xl font-semibold tracking-tight">All rules</h1>
              <p className="mt-1 text-sm text-slate-600">
                Of the enabled rules whose conditions hold, the most specific wins (more conditions, then a named tool
                over <code className="font-mono">*</code>); on a tie the strictest, then the one higher in this list.
              </p>
            </header>
            <RulesPanel
              tools={tools.data ?? []}
              rules={rules.data}
              rulesError={rules.error}
              toolName={null}
              onChanged={refresh}
            />
          </div>
        ) : tool ? (
          <ToolDetail
            key={tool.name}
            tool={tool}
            tools={tools.data ?? []}
            rules={rules.data}
            rulesError={rules.error}
            onChanged={refresh}
          />
        ) : tools.data ? (
          <p className="p-8 text-sm text-slate-500">Select a tool to see its classes and rules.</p>
        ) : null}
      </section>
    </div>
  );
}
