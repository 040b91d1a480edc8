"use client";
/** One tool: what it is, its default and effective class, the class editor, its rules, and the simulator. */
import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { RISK_CLASSES, type RiskClass } from "@/server/shared/risk";
import { RiskBadge } from "../../inbox/risk-badge";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card } from "../../ui/card";
import { TypedConfirmDialog } from "../../ui/dialog";
import { inputClass } from "../../ui/field";
import { type ClientError, ErrorNotice, SuccessNotice } from "../../ui/notice";
import { ScrollPre } from "../../ui/scroll-box";
import { RulesPanel } from "./rules-panel";
import { Simulator } from "./simulator";
import type { AdminTool, RuleList } from "./types";

export const RISK_LABEL: Record<RiskClass, string> = {
  READ: "Read — runs automatically",
  SENSITIVE_READ: "Sensitive read — a reviewer releases the value",
  DESTRUCTIVE: "Destructive — explicit human approval",
  DISABLED: "Disabled — never runs",
};

const LOWER_THAN_DESTRUCTIVE: RiskClass[] = ["READ", "SENSITIVE_READ"];

export function ToolDetail({
  tool,
  tools,
  rules,
  rulesError,
  onChanged,
}: {
  tool: AdminTool;
  tools: AdminTool[];
  rules: RuleList | undefined;
  rulesError: ClientError | null;
  onChanged: () => Promise<void>;
}) {
  const trpc = useTRPC();
  // "" is "the tool's own default" (no override).
  const current: RiskClass | "" = tool.override?.riskClass ?? "";
  const [choice, setChoice] = useState<RiskClass | "">(current);
  const [confirming, setConfirming] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  // When the stored class moves (a save, or a reload after someone else's), show it.
  useEffect(() => setChoice(current), [current, tool.overrideVersion]);
  const setClass = useMutation(
    trpc.admin.tools.setClass.mutationOptions({
      onSuccess: async (_data, variables) => {
        setConfirming(false);
        setSaved(
          variables.riskClass
            ? `${tool.name} is now ${variables.riskClass}. The next call uses it, on every instance.`
            : `${tool.name} is back to its default class, ${tool.defaultRisk}.`,
        );
        await onChanged();
      },
    }),
  );
  const lowersDestructive =
    tool.defaultRisk === "DESTRUCTIVE" && choice !== "" && LOWER_THAN_DESTRUCTIVE.includes(choice);

  function save(confirmation?: string) {
    setSaved(null);
    setClass.mutate({
      toolName: tool.name,
      riskClass: choice === "" ? null : choice,
      expectedVersion: tool.overrideVersion,
      ...(confirmation ? { confirmation } : {}),
    });
  }

  return (
    <article className="mx-auto max-w-5xl space-y-5 p-3 sm:p-6" data-testid="tool-detail">
      <header className="space-y-2">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="font-mono text-xl font-semibold">{tool.name}</h1>
          <RiskBadge riskClass={tool.effectiveRisk} />
          {tool.override ? (
            <span className="text-xs text-amber-700">
              overridden · default {tool.defaultRisk.toLowerCase().replace("_", " ")}
            </span>
          ) : (
            <span className="text-xs text-slate-500">default class</span>
          )}
          {tool.classifiesPerCall ? (
            <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600">
              classifies each call by its arguments
            </span>
          ) : null}
          <span className="ml-auto rounded-full bg-slate-100 px-2 py-0.5 text-xs text-slate-600">built-in</span>
        </div>
        <p className="max-w-3xl text-sm text-slate-700">{tool.description}</p>
        {tool.unavailableReason ? (
          <p
            role="alert"
            data-testid="tool-unavailable-reason"
            className="max-w-3xl rounded-lg border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
          >
            Disabled on this server: {tool.unavailableReason}
          </p>
        ) : null}
      </header>

      <div className="grid gap-5 lg:grid-cols-2">
        <Card
          title="Risk class"
          description="Decides what happens to a call when no rule says otherwise. Applies to the next call, on every instance."
        >
          <dl className="mb-3 grid grid-cols-2 gap-2 text-sm">
            <div className="rounded-lg bg-slate-50 px-3 py-2">
              <dt className="text-xs text-slate-500">Default</dt>
              <dd className="mt-0.5">
                <RiskBadge riskClass={tool.defaultRisk} />
              </dd>
            </div>
            <div className="rounded-lg bg-slate-50 px-3 py-2">
              <dt className="text-xs text-slate-500">In force</dt>
              <dd className="mt-0.5" data-testid="effective-class">
                <RiskBadge riskClass={tool.effectiveRisk} />
              </dd>
            </div>
          </dl>
          <form
            className="space-y-3"
            onSubmit={(event) => {
              event.preventDefault();
              if (lowersDestructive) setConfirming(true);
              else save();
            }}
          >
            <label htmlFor="risk-class" className="block text-xs font-medium text-slate-700">
              Class for {tool.name}
            </label>
            <select
              id="risk-class"
              value={choice}
              onChange={(event) => {
                setChoice(event.target.value as RiskClass | "");
                setSaved(null);
              }}
              className={inputClass}
            >
              <option value="">Default ({tool.defaultRisk})</option>
              {RISK_CLASSES.map((riskClass) => (
                <option key={riskClass} value={riskClass}>
                  {RISK_LABEL[riskClass]}
                </option>
              ))}
            </select>
            {lowersDestructive ? (
              <p className="text-xs text-amber-800">
                {tool.name} is destructive by default. Lowering it lets calls run with less review; you will be asked to
                type its name.
              </p>
            ) : null}
            {!setClass.isPending ? (
              <ErrorNotice
                error={confirming ? null : setClass.error}
                onReload={() => {
                  setClass.reset();
                  void onChanged();
                }}
              />
            ) : null}
            {saved ? <SuccessNotice>{saved}</SuccessNotice> : null}
            <div className="flex gap-2">
              <Button type="submit" variant="primary" disabled={choice === current || setClass.isPending}>
                {setClass.isPending ? "Saving…" : "Save class"}
              </Button>
              {choice !== current ? <Button onClick={() => setChoice(current)}>Undo</Button> : null}
            </div>
          </form>
        </Card>
        <Card title="Input schema" description="What the model must send; arguments are validated against it first.">
          <ScrollPre className="max-h-64 overflow-auto code-box rounded-lg p-3 font-mono text-xs leading-snug">
            {JSON.stringify(tool.inputSchema, null, 2)}
          </ScrollPre>
        </Card>
      </div>

      <RulesPanel tools={tools} rules={rules} rulesError={rulesError} toolName={tool.name} onChanged={onChanged} />

      <Simulator tool={tool} rules={rules} />

      {confirming ? (
        <TypedConfirmDialog
          title={`Lower ${tool.name} to ${choice}?`}
          body={
            <>
              <strong>{tool.name}</strong> is destructive by default: it changes or deletes things. As{" "}
              <strong>{choice}</strong> its calls run{" "}
              {choice === "READ" ? "automatically, with no reviewer" : "after a sensitive-read review only"}.
            </>
          }
          phrase={tool.name}
          confirmLabel={`Lower to ${choice}`}
          pending={setClass.isPending}
          error={setClass.error}
          onConfirm={(typed) => save(typed)}
          onCancel={() => {
            setConfirming(false);
            setClass.reset();
          }}
        />
      ) : null}
    </article>
  );
}
