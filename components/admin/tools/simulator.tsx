"use client";
/** "What would happen": a call with these arguments, by this role, through the policy in force now. */
import { useMutation } from "@tanstack/react-query";
import { useId, useState } from "react";
import { ROLES, type Role } from "@/server/shared/risk";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card } from "../../ui/card";
import { Field, inputClass, invalidInputClass } from "../../ui/field";
import { ErrorNotice } from "../../ui/notice";
import { ScrollPre } from "../../ui/scroll-box";
import { Badge } from "../../ui/status";
import type { AdminTool, RuleList } from "./types";

const EXAMPLES: Record<string, unknown> = {
  run_shell: { command: "rm -rf tmp" },
  list_files: { path: "." },
  read_file: { path: "README.md" },
  delete_file: { path: "old-notes.md" },
  sql_query: { sql: "DELETE FROM customers WHERE email LIKE '%@example.test'" },
  read_secret: { name: "STRIPE_KEY" },
};

/** A starting point from the schema: each property with a value of its type. */
export function exampleArguments(tool: AdminTool): string {
  if (EXAMPLES[tool.name]) return JSON.stringify(EXAMPLES[tool.name], null, 2);
  const schema = tool.inputSchema as { properties?: Record<string, { type?: string; default?: unknown }> };
  const example: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    example[name] =
      property.default ??
      (property.type === "number" || property.type === "integer"
        ? 0
        : property.type === "boolean"
          ? false
          : property.type === "array"
            ? []
            : "");
  }
  return JSON.stringify(example, null, 2);
}

const DECISION_STYLE = {
  ALLOW: { tone: "green", text: "Runs now" },
  REQUIRE_APPROVAL: { tone: "amber", text: "Waits for approval" },
  DENY: { tone: "rose", text: "Refused" },
} as const;

export function Simulator({ tool, rules }: { tool: AdminTool; rules: RuleList | undefined }) {
  const trpc = useTRPC();
  const id = useId();
  const [text, setText] = useState(() => exampleArguments(tool));
  const [role, setRole] = useState<Role>("USER");
  const [conversationId, setConversationId] = useState("");
  const simulate = useMutation(trpc.admin.tools.simulate.mutationOptions());
  let parsed: { ok: true; value: unknown } | { ok: false; message: string };
  try {
    parsed = { ok: true, value: JSON.parse(text) };
  } catch (error) {
    parsed = { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
  }
  const result = simulate.data;
  const matched = result?.matchedRuleId ? rules?.rules.find((rule) => rule.id === result.matchedRuleId) : undefined;

  return (
    <Card
      title="What would happen"
      description="Runs the arguments through validation, the tool's classifier and the policy in force — nothing is executed."
      testId="simulator"
    >
      <form
        className="grid gap-4 lg:grid-cols-2"
        onSubmit={(event) => {
          event.preventDefault();
          const conversation = conversationId.trim();
          if (parsed.ok)
            simulate.mutate({
              toolName: tool.name,
              args: parsed.value,
              role,
              ...(conversation ? { conversationId: conversation } : {}),
            });
        }}
      >
        <div className="space-y-3">
          <Field label="Arguments (JSON)" htmlFor={`${id}-args`} error={parsed.ok ? undefined : parsed.message}>
            <textarea
              id={`${id}-args`}
              value={text}
              onChange={(event) => setText(event.target.value)}
              rows={6}
              spellCheck={false}
              className={`${inputClass} font-mono text-xs ${parsed.ok ? "" : invalidInputClass}`}
            />
          </Field>
          <div className="flex items-end gap-2">
            <Field label="Called by a" htmlFor={`${id}-role`} className="w-40">
              <select
                id={`${id}-role`}
                value={role}
                onChange={(event) => setRole(event.target.value as Role)}
                className={inputClass}
              >
                {ROLES.map((option) => (
                  <option key={option} value={option}>
                    {option}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="In conversation (id, optional)" htmlFor={`${id}-conversation`} className="flex-1">
              <input
                id={`${id}-conversation`}
                value={conversationId}
                onChange={(event) => setConversationId(event.target.value)}
                placeholder="Checks for the same call rejected there earlier"
                spellCheck={false}
                className={`${inputClass} font-mono text-xs`}
              />
            </Field>
            <Button type="submit" variant="primary" disabled={!parsed.ok || simulate.isPending}>
              {simulate.isPending ? "Simulating…" : "Simulate"}
            </Button>
          </div>
        </div>
        <div aria-live="polite" className="rounded-lg bg-slate-50 p-4 text-sm" data-testid="simulation-result">
          <ErrorNotice error={simulate.error} />
          {!result && !simulate.error ? (
            <p className="text-slate-500">The decision and the policy's reasons appear here.</p>
          ) : null}
          {result ? (
            <div className="space-y-3">
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={DECISION_STYLE[result.decision].tone}>{result.decision}</Badge>
                <span className="font-medium">{DECISION_STYLE[result.decision].text}</span>
                {result.riskClass ? <RiskBadge riskClass={result.riskClass} /> : null}
                {result.decision === "REQUIRE_APPROVAL" ? (
                  <span className="text-slate-600">
                    · {result.requiredApprovals} approval{result.requiredApprovals === 1 ? "" : "s"}
                  </span>
                ) : null}
                <span className="ml-auto text-xs text-slate-500">policy v{result.policyVersion}</span>
              </div>
              <div>
                <p className="text-xs font-medium text-slate-600">Reasons</p>
                <ul className="mt-1 list-disc space-y-0.5 pl-5" data-testid="simulation-reasons">
                  {result.reasons.map((reason) => (
                    <li key={reason}>{reason}</li>
                  ))}
                </ul>
              </div>
              {result.rejectedEarlier ? (
                <p className="text-xs text-rose-800" data-testid="simulation-rejected-earlier">
                  Rejected earlier in this conversation
                  {result.rejectedEarlier.rejectedAt
                    ? ` (${new Date(result.rejectedEarlier.rejectedAt).toLocaleString()})`
                    : ""}
                  : <strong>{result.rejectedEarlier.reason}</strong>
                </p>
              ) : null}
              {matched ? (
                <p className="text-xs text-slate-600">
                  Deciding rule: <strong>{matched.description}</strong>
                </p>
              ) : null}
              {Object.keys(result.facts).length > 0 ? (
                <div>
                  <p className="text-xs font-medium text-slate-600">Facts the tool reports (usable in rules)</p>
                  <ScrollPre className="mt-1 overflow-auto rounded bg-white p-2 font-mono text-xs">
                    {Object.entries(result.facts)
                      .map(([name, value]) => `facts.${name} = ${JSON.stringify(value)}`)
                      .join("\n")}
                  </ScrollPre>
                </div>
              ) : null}
            </div>
          ) : null}
        </div>
      </form>
    </Card>
  );
}
