"use client";
/** Add or edit a rule; every field is checked as it is typed, with the server's own schema. */
import { useMutation } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import { CONDITION_OPERATORS_LIST } from "@/server/shared/policy-operators";
import { ruleLoweringConfirmation } from "@/server/shared/policy-schemas";
import { DECISIONS, RISK_CLASSES } from "@/server/shared/risk";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { TypedConfirmDialog } from "../../ui/dialog";
import { Field, inputClass, invalidInputClass } from "../../ui/field";
import { ErrorNotice } from "../../ui/notice";
import {
  type ConditionDraft,
  type ConditionOperator,
  describeRule,
  emptyCondition,
  OPERATOR_LABEL,
  type RuleDraft,
  validateRuleDraft,
} from "./rule-form-model";
import type { AdminTool } from "./types";

const DECISION_LABEL = {
  ALLOW: "Allow (run without approval)",
  REQUIRE_APPROVAL: "Require approval",
  DENY: "Deny (never run)",
} as const;

/** What a condition can test: the tool's arguments, facts its classifier reports, or the caller's role. */
function pathSuggestions(tool: AdminTool | undefined): string[] {
  const properties = (tool?.inputSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const facts =
    tool?.name === "run_shell"
      ? ["facts.command", "facts.commands", "facts.hazards"]
      : tool?.name === "sql_query"
        ? ["facts.statementTypes", "facts.tables"]
        : [];
  return [...Object.keys(properties).map((name) => `args.${name}`), ...facts, "actor.role"];
}

function valuePlaceholder(operator: ConditionOperator): string {
  if (operator === "in") return "rm, shred, dd";
  if (operator === "glob") return "secrets/**";
  if (operator === "regex") return "^DROP\\b";
  if (["lt", "lte", "gt", "gte"].includes(operator)) return "100";
  return "rm";
}

export function RuleForm({
  tools,
  initial,
  existing,
  onDone,
  onCancel,
  onReload,
}: {
  tools: AdminTool[];
  initial: RuleDraft;
  existing: { id: string; version: number } | null;
  onDone: () => void;
  onCancel: () => void;
  onReload: () => void;
}) {
  const trpc = useTRPC();
  const formId = useId();
  const [draft, setDraft] = useState<RuleDraft>(initial);
  // Errors show for what the admin has touched, and for everything once they try to save.
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const validation = useMemo(() => validateRuleDraft(draft), [draft]);
  const errors = validation.ok ? { conditions: {} as Record<number, never> } : validation.errors;
  const show = (key: string) => submitted || touched.has(key);
  const create = useMutation(trpc.admin.rules.create.mutationOptions({ onSuccess: onDone }));
  const update = useMutation(trpc.admin.rules.update.mutationOptions({ onSuccess: onDone }));
  const saving = create.isPending || update.isPending;
  const serverError = create.error ?? update.error;
  // The server decides whether a rule lowers review (it knows every tool's classes) and
  // asks for the typed confirmation; the form then asks the admin for it.
  const needsConfirmation = serverError?.data?.domainCode === "admin:confirmation-required";
  const tool = tools.find((candidate) => candidate.name === draft.toolName);
  const suggestions = pathSuggestions(tool);

  function change(patch: Partial<RuleDraft>, key: string) {
    setDraft((current) => ({ ...current, ...patch }));
    setTouched((current) => new Set(current).add(key));
  }

  function changeCondition(index: number, patch: Partial<ConditionDraft>, field: string) {
    setDraft((current) => ({
      ...current,
      conditions: current.conditions.map((condition, position) =>
        position === index ? { ...condition, ...patch } : condition,
      ),
    }));
    setTouched((current) => new Set(current).add(`condition-${index}-${field}`));
  }

  function submit(confirmation?: string) {
    setSubmitted(true);
    if (!validation.ok) return;
    const confirmed = confirmation ? { confirmation } : {};
    if (existing)
      update.mutate({ id: existing.id, expectedVersion: existing.version, rule: validation.rule, ...confirmed });
    else create.mutate({ ...validation.rule, ...confirmed });
  }

  return (
    <>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
        className="space-y-4"
        data-testid="rule-form"
      >
        <div className="grid gap-4 sm:grid-cols-[14rem_1fr]">
          <Field label="Tool" htmlFor={`${formId}-tool`} error={show("toolName") ? errors.toolName : undefined}>
            <select
              id={`${formId}-tool`}
              value={draft.toolName}
              onChange={(event) => change({ toolName: event.target.value }, "toolName")}
              className={`${inputClass} font-mono ${show("toolName") && errors.toolName ? invalidInputClass : ""}`}
            >
              <option value="">Choose…</option>
              <option value="*">* (every tool)</option>
              {tools.map((candidate) => (
                <option key={candidate.name} value={candidate.name}>
                  {candidate.name}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label="Description"
            htmlFor={`${formId}-description`}
            error={show("description") ? errors.description : undefined}
            hint="Shown to reviewers as the reason a call was gated."
          >
            <input
              id={`${formId}-description`}
              value={draft.description}
              placeholder="shell rm needs 2 approvals"
              onChange={(event) => change({ description: event.target.value }, "description")}
              className={`${inputClass} ${show("description") && errors.description ? invalidInputClass : ""}`}
            />
          </Field>
        </div>

        <fieldset className="rounded-lg border border-slate-200 p-3">
          <legend className="px-1 text-xs font-medium text-slate-700">When (all must hold)</legend>
          {draft.conditions.length === 0 ? (
            <p className="text-xs text-slate-500">No conditions: the rule applies to every call of the tool.</p>
          ) : null}
          <datalist id={`${formId}-paths`}>
            {suggestions.map((path) => (
              <option key={path} value={path} />
            ))}
          </datalist>
          <ul className="space-y-2">
            {draft.conditions.map((condition, index) => {
              const conditionErrors = errors.conditions[index] ?? {};
              const pathError = show(`condition-${index}-path`) ? conditionErrors.path : undefined;
              const valueError = show(`condition-${index}-value`) ? conditionErrors.value : undefined;
              return (
                <li key={condition.key} className="grid grid-cols-[1fr_9rem_1fr_auto] items-start gap-2">
                  <div>
                    <input
                      aria-label={`Condition ${index + 1} path`}
                      list={`${formId}-paths`}
                      value={condition.path}
                      placeholder="facts.command"
                      onChange={(event) => changeCondition(index, { path: event.target.value }, "path")}
                      className={`${inputClass} font-mono ${pathError ? invalidInputClass : ""}`}
                    />
                    {pathError ? <p className="mt-1 text-xs text-rose-700">{pathError}</p> : null}
                  </div>
                  <select
                    aria-label={`Condition ${index + 1} operator`}
                    value={condition.operator}
                    onChange={(event) =>
                      changeCondition(index, { operator: event.target.value as ConditionOperator }, "operator")
                    }
                    className={inputClass}
                  >
                    {CONDITION_OPERATORS_LIST.map((operator) => (
                      <option key={operator} value={operator}>
                        {OPERATOR_LABEL[operator]}
                      </option>
                    ))}
                  </select>
                  <div>
                    <input
                      aria-label={`Condition ${index + 1} value`}
                      value={condition.value}
                      disabled={condition.operator === "exists"}
                      placeholder={condition.operator === "exists" ? "—" : valuePlaceholder(condition.operator)}
                      onChange={(event) => changeCondition(index, { value: event.target.value }, "value")}
                      className={`${inputClass} font-mono ${valueError ? invalidInputClass : ""}`}
                    />
                    {valueError ? <p className="mt-1 text-xs text-rose-700">{valueError}</p> : null}
                  </div>
                  <Button
                    variant="ghost"
                    aria-label={`Remove condition ${index + 1}`}
                    onClick={() =>
                      setDraft((current) => ({
                        ...current,
                        conditions: current.conditions.filter((_, position) => position !== index),
                      }))
                    }
                  >
                    ✕
                  </Button>
                </li>
              );
            })}
          </ul>
          <Button
            size="sm"
            className="mt-2"
            onClick={() =>
              setDraft((current) => ({ ...current, conditions: [...current.conditions, emptyCondition()] }))
            }
            disabled={draft.conditions.length >= 10}
          >
            Add condition
          </Button>
          <p className="mt-2 text-xs text-slate-500">
            Paths: <code className="font-mono">args.&lt;name&gt;</code> (the call's arguments),{" "}
            <code className="font-mono">facts.&lt;name&gt;</code> (what the tool reports, see the simulator) or{" "}
            <code className="font-mono">actor.role</code>.
          </p>
        </fieldset>

        <fieldset className="rounded-lg border border-slate-200 p-3">
          <legend className="px-1 text-xs font-medium text-slate-700">Then</legend>
          <div className="grid gap-3 sm:grid-cols-3">
            <Field label="Risk class" htmlFor={`${formId}-class`}>
              <select
                id={`${formId}-class`}
                value={draft.riskClass}
                onChange={(event) => change({ riskClass: event.target.value as RuleDraft["riskClass"] }, "effect")}
                className={inputClass}
              >
                <option value="">Keep the tool's class</option>
                {RISK_CLASSES.map((riskClass) => (
                  <option key={riskClass} value={riskClass}>
                    {riskClass}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Decision" htmlFor={`${formId}-decision`}>
              <select
                id={`${formId}-decision`}
                value={draft.decision}
                onChange={(event) => change({ decision: event.target.value as RuleDraft["decision"] }, "effect")}
                className={inputClass}
              >
                <option value="">As the class decides</option>
                {DECISIONS.map((decision) => (
                  <option key={decision} value={decision}>
                    {DECISION_LABEL[decision]}
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="Required approvals"
              htmlFor={`${formId}-approvals`}
              error={show("requiredApprovals") ? errors.requiredApprovals : undefined}
              hint="Empty: the default from approval settings."
            >
              <input
                id={`${formId}-approvals`}
                inputMode="numeric"
                value={draft.requiredApprovals}
                placeholder="default"
                onChange={(event) => change({ requiredApprovals: event.target.value }, "requiredApprovals")}
                className={`${inputClass} ${show("requiredApprovals") && errors.requiredApprovals ? invalidInputClass : ""}`}
              />
            </Field>
          </div>
          {show("effect") && errors.effect ? <p className="mt-2 text-xs text-rose-700">{errors.effect}</p> : null}
          <label className="mt-3 flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              checked={draft.network}
              onChange={(event) => change({ network: event.target.checked }, "effect")}
            />
            Allow network access (run_shell)
          </label>
          {draft.network ? (
            <p className="mt-1 text-xs text-amber-800">
              Matching shell commands share this server's network (DNS and CA certificates included): they can reach
              anything the server can. You will be asked to type a confirmation.
            </p>
          ) : null}
          {draft.decision === "ALLOW" ? (
            <p className="mt-2 text-xs text-amber-800">
              ALLOW lets sensitive reads through. Destructive calls still need a reviewer unless destructive auto-run is
              confirmed in approval settings.
            </p>
          ) : null}
        </fieldset>

        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={draft.enabled}
            onChange={(event) => change({ enabled: event.target.checked }, "enabled")}
          />
          Enabled
        </label>

        <p className="rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-700" data-testid="rule-preview">
          {describeRule(draft)}
        </p>
        {submitted && errors.form ? <p className="text-xs text-rose-700">{errors.form}</p> : null}
        <ErrorNotice error={needsConfirmation ? null : serverError} onReload={onReload} />
        <div className="flex justify-end gap-2">
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={saving || (submitted && !validation.ok)}>
            {saving ? "Saving…" : existing ? "Save rule" : "Add rule"}
          </Button>
        </div>
      </form>
      {needsConfirmation ? (
        <TypedConfirmDialog
          title={draft.network ? "Let these calls use the network?" : "Let calls run with less review?"}
          body={serverError?.message}
          phrase={ruleLoweringConfirmation(draft.toolName)}
          confirmLabel={existing ? "Save rule" : "Add rule"}
          pending={saving}
          onConfirm={(typed) => submit(typed)}
          onCancel={() => {
            create.reset();
            update.reset();
          }}
        />
      ) : null}
    </>
  );
}
