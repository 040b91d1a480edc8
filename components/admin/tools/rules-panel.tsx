"use client";
/** The rules that apply to a tool (or all rules), in policy order: add, edit, reorder, enable, delete. */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import type { PolicyRuleInput } from "@/server/shared/policy-schemas";
import { useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card } from "../../ui/card";
import { ConfirmDialog, Dialog } from "../../ui/dialog";
import { type ClientError, ErrorNotice } from "../../ui/notice";
import { Badge, EmptyState, LoadingRows } from "../../ui/status";
import { RuleForm } from "./rule-form";
import { describeCondition, describeEffect, draftFromRule, emptyRuleDraft } from "./rule-form-model";
import type { AdminTool, RuleList } from "./types";

type StoredRule = RuleList["rules"][number];

export function RulesPanel({
  tools,
  rules,
  rulesError,
  toolName,
  onChanged,
}: {
  tools: AdminTool[];
  rules: RuleList | undefined;
  rulesError: ClientError | null;
  /** null: every rule. */
  toolName: string | null;
  onChanged: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState<StoredRule | "new" | null>(null);
  const [deleting, setDeleting] = useState<StoredRule | null>(null);
  const after = { onSuccess: () => onChanged() };
  const reorder = useMutation(trpc.admin.rules.reorder.mutationOptions(after));
  const toggle = useMutation(trpc.admin.rules.update.mutationOptions(after));
  const remove = useMutation(
    trpc.admin.rules.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await onChanged();
      },
    }),
  );

  const all = rules?.rules ?? [];
  const shown = toolName ? all.filter((rule) => rule.toolName === toolName || rule.toolName === "*") : all;
  const error = reorder.error ?? toggle.error ?? (deleting ? null : remove.error);
  const busy = reorder.isPending || toggle.isPending || remove.isPending;

  function move(rule: StoredRule, direction: -1 | 1) {
    if (!rules) return;
    const index = shown.indexOf(rule);
    const neighbour = shown[index + direction];
    if (!neighbour) return;
    // Swap the two in the full policy order; rules of other tools keep their places.
    const order = all.map((item) => item.id);
    const from = order.indexOf(rule.id);
    const to = order.indexOf(neighbour.id);
    [order[from], order[to]] = [neighbour.id, rule.id];
    reorder.mutate({ orderedIds: order, expectedPolicyVersion: rules.policyVersion });
  }

  function setEnabled(rule: StoredRule, enabled: boolean) {
    toggle.mutate({
      id: rule.id,
      expectedVersion: rule.version,
      rule: {
        toolName: rule.toolName,
        description: rule.description,
        // Sent back as stored: the server validates them again.
        conditions: rule.conditions as PolicyRuleInput["conditions"],
        effect: rule.effect as PolicyRuleInput["effect"],
        enabled,
      },
    });
  }

  function reload() {
    reorder.reset();
    toggle.reset();
    remove.reset();
    void onChanged();
  }

  return (
    <Card
      title={toolName ? `Rules for ${toolName}` : "Rules"}
      description={
        toolName
          ? "Argument-aware rules refine the class for particular calls. Rules for every tool (*) are listed too."
          : "Every rule of the policy, in order. Changes take effect for the next call, on every instance."
      }
      actions={
        <Button variant="primary" size="sm" onClick={() => setEditing("new")} disabled={!rules}>
          Add rule
        </Button>
      }
      testId="rules-panel"
    >
      <div className="space-y-3">
        <ErrorNotice error={rulesError} />
        <ErrorNotice error={error} onReload={reload} />
        {!rules && !rulesError ? <LoadingRows rows={2} label="Loading rules" /> : null}
        {rules && shown.length === 0 ? (
          <EmptyState
            title={toolName ? `No rules for ${toolName}` : "No rules yet"}
            body={
              toolName
                ? `Calls to ${toolName} are decided by its class alone. Add a rule to treat some calls differently, e.g. a shell command that needs two approvals.`
                : "Calls are decided by their tools' classes alone."
            }
          />
        ) : null}
        <ol className="divide-y divide-slate-100">
          {shown.map((rule, index) => (
            <li key={rule.id} className="flex items-start gap-3 py-3" data-testid="rule-row">
              <span className="mt-0.5 w-6 shrink-0 text-right font-mono text-xs text-slate-500">
                {all.indexOf(rule) + 1}
              </span>
              <div className="min-w-0 flex-1">
                <p className="flex flex-wrap items-center gap-2 text-sm">
                  <span className={`font-medium ${rule.enabled ? "" : "text-slate-500 line-through"}`}>
                    {rule.description}
                  </span>
                  {rule.toolName === "*" ? <Badge tone="violet">every tool</Badge> : null}
                  {!toolName && rule.toolName !== "*" ? (
                    <span className="font-mono text-xs text-slate-500">{rule.toolName}</span>
                  ) : null}
                  {!rule.enabled ? <Badge>disabled</Badge> : null}
                </p>
                <p className="mt-1 flex flex-wrap gap-1.5 text-xs">
                  {(Array.isArray(rule.conditions) ? rule.conditions : []).length === 0 ? (
                    <span className="text-slate-500">every call</span>
                  ) : (
                    (rule.conditions as unknown[]).map((condition, conditionIndex) => (
                      <code
                        key={conditionIndex}
                        className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-slate-700"
                      >
                        {describeCondition(condition)}
                      </code>
                    ))
                  )}
                  <span className="text-slate-500">→</span>
                  <span className="font-medium text-slate-800">{describeEffect(rule.effect)}</span>
                </p>
              </div>
              <div className="flex shrink-0 items-center gap-1">
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Move "${rule.description}" up`}
                  disabled={busy || index === 0}
                  onClick={() => move(rule, -1)}
                >
                  ↑
                </Button>
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Move "${rule.description}" down`}
                  disabled={busy || index === shown.length - 1}
                  onClick={() => move(rule, 1)}
                >
                  ↓
                </Button>
                <Button size="sm" variant="ghost" disabled={busy} onClick={() => setEnabled(rule, !rule.enabled)}>
                  {rule.enabled ? "Disable" : "Enable"}
                </Button>
                <Button size="sm" onClick={() => setEditing(rule)} disabled={busy}>
                  Edit
                </Button>
                <Button size="sm" variant="ghost" className="text-rose-700" onClick={() => setDeleting(rule)}>
                  Delete
                </Button>
              </div>
            </li>
          ))}
        </ol>
      </div>
      {editing ? (
        <Dialog
          title={editing === "new" ? "Add a rule" : "Edit rule"}
          description="The form checks each field as you type, with the same rules the server applies."
          onClose={() => setEditing(null)}
          wide
        >
          <RuleForm
            tools={tools}
            initial={editing === "new" ? emptyRuleDraft(toolName ?? "") : draftFromRule(editing)}
            existing={editing === "new" ? null : { id: editing.id, version: editing.version }}
            onDone={async () => {
              setEditing(null);
              await onChanged();
            }}
            onCancel={() => setEditing(null)}
            onReload={async () => {
              setEditing(null);
              await onChanged();
            }}
          />
        </Dialog>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title="Delete this rule?"
          body={
            <p>
              <strong>{deleting.description}</strong> stops applying to the next call. The deletion is audited.
            </p>
          }
          confirmLabel="Delete rule"
          pendingLabel="Deleting…"
          pending={remove.isPending}
          error={remove.error}
          onReload={reload}
          onConfirm={() => remove.mutate({ id: deleting.id, expectedVersion: deleting.version })}
          onCancel={() => setDeleting(null)}
        />
      ) : null}
    </Card>
  );
}
