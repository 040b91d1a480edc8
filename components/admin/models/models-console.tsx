"use client";
/** Models: the default model, each provider's settings (keys encrypted, shown masked), and a connection test. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState } from "react";
import { providerSettingsInputSchema } from "@/server/shared/model-schemas";
import { type RouterOutputs, useTRPC } from "../../trpc";
import { Button } from "../../ui/button";
import { Card, PageHeader } from "../../ui/card";
import { controlClass, Field, inputClass, invalidInputClass } from "../../ui/field";
import { ErrorNotice, SuccessNotice } from "../../ui/notice";
import { Badge, LoadingRows } from "../../ui/status";

type ModelSettings = RouterOutputs["admin"]["models"]["get"];
type Provider = ModelSettings["providers"][number];

const SOURCE_TEXT: Record<Provider["source"], string> = {
  console: "Configured here",
  environment: "From the environment",
  none: "Not configured",
};

const BASE_URL_HINT: Record<Provider["provider"], string> = {
  openai: "Leave empty for api.openai.com.",
  anthropic: "Leave empty for api.anthropic.com.",
  compatible: "Ollama, vLLM, LM Studio… e.g. http://localhost:11434/v1",
};

export function ModelsConsole() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.admin.models.get.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.admin.models.pathKey() });

  return (
    <div className="mx-auto max-w-5xl space-y-5 p-3 sm:p-6">
      <PageHeader
        title="Models"
        description="Providers come from the environment and from here; settings saved here win. Keys are stored encrypted (AES-256-GCM) and only their last four characters are ever shown. Every instance picks up a change at once."
      />
      <ErrorNotice error={settings.error} />
      {settings.isPending ? <LoadingRows rows={4} label="Loading models" /> : null}
      {settings.data ? (
        <>
          {!settings.data.secretsKeyConfigured ? (
            <p
              role="alert"
              className="rounded-lg border border-amber-300 bg-amber-50 px-3.5 py-2.5 text-sm text-amber-900"
            >
              No SECRETS_KEY is configured, so API keys cannot be stored here. Start Airlock with <code>npm start</code>{" "}
              or set SECRETS_KEY.
            </p>
          ) : null}
          <DefaultModelCard settings={settings.data} onChanged={refresh} />
          {settings.data.providers.map((provider) => (
            <ProviderCard key={provider.provider} provider={provider} onChanged={refresh} />
          ))}
        </>
      ) : null}
    </div>
  );
}

function DefaultModelCard({ settings, onChanged }: { settings: ModelSettings; onChanged: () => Promise<void> }) {
  const trpc = useTRPC();
  const id = useId();
  const configured = settings.defaultModel.configured ?? "";
  const [choice, setChoice] = useState(configured);
  useEffect(() => setChoice(configured), [configured]);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.admin.models.setDefault.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await onChanged();
      },
    }),
  );
  return (
    <Card
      title="Default model"
      description="What new conversations start with. People can still pick another offered model."
    >
      <form
        className="flex flex-wrap items-end gap-3"
        onSubmit={(event) => {
          event.preventDefault();
          setSaved(false);
          save.mutate({ modelId: choice || null, expectedVersion: settings.defaultModel.version });
        }}
      >
        <Field label="Default for new conversations" htmlFor={`${id}-default`} className="min-w-80 flex-1">
          <select
            id={`${id}-default`}
            value={choice}
            onChange={(event) => {
              setChoice(event.target.value);
              setSaved(false);
            }}
            className={inputClass}
          >
            <option value="">
              Automatic
              {settings.defaultModel.environment
                ? ` (DEFAULT_MODEL: ${settings.defaultModel.environment})`
                : " (the first offered model)"}
            </option>
            {settings.models.map((model) => (
              <option key={model.id} value={model.id}>
                {model.label} — {model.id}
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" variant="primary" disabled={choice === configured || save.isPending}>
          {save.isPending ? "Saving…" : "Save default"}
        </Button>
      </form>
      <p className="mt-2 text-xs text-slate-500">
        In force now: <code className="font-mono">{settings.defaultModel.effective}</code>
        {settings.defaultModel.configured && settings.defaultModel.configured !== settings.defaultModel.effective
          ? " (the chosen default is not offered right now, so it falls back)"
          : ""}
      </p>
      {settings.defaultModel.error ? <p className="mt-2 text-xs text-rose-700">{settings.defaultModel.error}</p> : null}
      <div className="mt-3 space-y-2">
        <ErrorNotice
          error={save.error}
          onReload={() => {
            save.reset();
            void onChanged();
          }}
        />
        {saved ? <SuccessNotice>Saved. New conversations start with it.</SuccessNotice> : null}
      </div>
    </Card>
  );
}

function initialForm(provider: Provider) {
  return {
    enabled: provider.source === "none" ? true : provider.enabled,
    baseUrl: provider.baseUrl ?? "",
    newKey: "",
    clearKey: false,
    models: provider.models.join(", "),
  };
}

function ProviderCard({ provider, onChanged }: { provider: Provider; onChanged: () => Promise<void> }) {
  const trpc = useTRPC();
  const id = useId();
  const [form, setForm] = useState(() => initialForm(provider));
  const [submitted, setSubmitted] = useState(false);
  const [saved, setSaved] = useState(false);
  // A save (here or, after a reload, someone else's) changes what is stored: show it.
  const stored = JSON.stringify(initialForm(provider));
  useEffect(() => {
    setForm(JSON.parse(stored) as ReturnType<typeof initialForm>);
    setSubmitted(false);
  }, [stored]);
  const save = useMutation(
    trpc.admin.models.saveProvider.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await onChanged();
      },
    }),
  );
  const remove = useMutation(trpc.admin.models.removeProvider.mutationOptions({ onSuccess: () => onChanged() }));
  const test = useMutation(trpc.admin.models.testConnection.mutationOptions());
  const [testModel, setTestModel] = useState("");

  const candidate = {
    provider: provider.provider,
    expectedVersion: provider.version,
    enabled: form.enabled,
    baseUrl: form.baseUrl.trim() === "" ? null : form.baseUrl.trim(),
    apiKey: form.newKey.trim()
      ? { action: "set" as const, value: form.newKey.trim() }
      : form.clearKey
        ? { action: "clear" as const }
        : { action: "keep" as const },
    models: form.models
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean),
  };
  const parsed = providerSettingsInputSchema.safeParse(candidate);
  const errorFor = (field: string) =>
    parsed.success ? undefined : parsed.error.issues.find((issue) => String(issue.path[0]) === field)?.message;
  const dirty = JSON.stringify(form) !== stored;
  const set = (patch: Partial<typeof form>) => {
    setForm((current) => ({ ...current, ...patch }));
    setSaved(false);
  };
  const baseUrlError = errorFor("baseUrl");
  const keyError = errorFor("apiKey");
  const modelsError = errorFor("models");

  const description =
    provider.source === "none"
      ? "Not configured in the environment. Fill in the fields below to offer its models."
      : `${SOURCE_TEXT[provider.source]}${provider.unavailableReason ? ` · ${provider.unavailableReason}` : ""}${provider.available ? ` · offers ${provider.effectiveModels.map((name) => `${provider.provider}:${name}`).join(", ")}` : ""}`;

  return (
    <Card
      testId={`provider-${provider.provider}`}
      title={
        <span className="flex items-center gap-2">
          {provider.label}
          {provider.available ? (
            <Badge tone="green">Available</Badge>
          ) : provider.source === "none" ? (
            <Badge>Not configured</Badge>
          ) : (
            <Badge tone="amber">Unavailable</Badge>
          )}
        </span>
      }
      description={description}
      actions={
        provider.source === "console" ? (
          <Button
            size="sm"
            variant="ghost"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ provider: provider.provider, expectedVersion: provider.version })}
          >
            Use the environment's settings
          </Button>
        ) : null
      }
    >
      <form
        noValidate
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          setSubmitted(true);
          if (parsed.success) save.mutate(parsed.data);
        }}
      >
        <div className="grid gap-4 md:grid-cols-3">
          <Field
            label="Base URL"
            htmlFor={`${id}-url`}
            error={form.baseUrl || submitted ? baseUrlError : undefined}
            hint={
              provider.effectiveBaseUrl && !form.baseUrl
                ? `From the environment: ${provider.effectiveBaseUrl}`
                : BASE_URL_HINT[provider.provider]
            }
          >
            <input
              id={`${id}-url`}
              value={form.baseUrl}
              placeholder={provider.effectiveBaseUrl ?? "https://…"}
              onChange={(event) => set({ baseUrl: event.target.value })}
              className={`${inputClass} font-mono ${(form.baseUrl || submitted) && baseUrlError ? invalidInputClass : ""}`}
            />
          </Field>
          <Field
            label="API key"
            htmlFor={`${id}-key`}
            error={form.newKey ? keyError : undefined}
            hint={
              provider.maskedKey ? (
                <>
                  <code className="font-mono" data-testid="masked-key">
                    {provider.maskedKey}
                  </code>{" "}
                  {provider.keySource === "console" ? "stored encrypted here" : "from the environment"}; type to
                  replace.
                </>
              ) : (
                "Stored encrypted; never shown again."
              )
            }
          >
            <input
              id={`${id}-key`}
              type="password"
              autoComplete="new-password"
              value={form.newKey}
              placeholder={provider.maskedKey ?? "sk-…"}
              onChange={(event) => set({ newKey: event.target.value, clearKey: false })}
              className={`${inputClass} font-mono ${form.newKey && keyError ? invalidInputClass : ""}`}
            />
          </Field>
          <Field
            label="Models"
            htmlFor={`${id}-models`}
            error={modelsError}
            hint={form.models ? "Comma-separated model names." : `Empty: ${provider.effectiveModels.join(", ")}`}
          >
            <input
              id={`${id}-models`}
              value={form.models}
              placeholder={provider.effectiveModels.join(", ")}
              onChange={(event) => set({ models: event.target.value })}
              className={`${inputClass} font-mono ${modelsError ? invalidInputClass : ""}`}
            />
          </Field>
        </div>
        <div className="flex flex-wrap gap-x-6 gap-y-1 text-sm">
          <label className="flex items-center gap-2">
            <input
              type="checkbox"
              checked={form.enabled}
              onChange={(event) => set({ enabled: event.target.checked })}
            />
            Offer {provider.label} models
          </label>
          {provider.keySource === "console" ? (
            <label className="flex items-center gap-2 text-slate-600">
              <input
                type="checkbox"
                checked={form.clearKey}
                onChange={(event) => set({ clearKey: event.target.checked, newKey: "" })}
              />
              Remove the stored key
            </label>
          ) : null}
        </div>
        <ErrorNotice
          error={save.error ?? remove.error}
          onReload={() => {
            save.reset();
            remove.reset();
            void onChanged();
          }}
        />
        {saved && !dirty ? <SuccessNotice>Saved. Every instance uses it for the next model call.</SuccessNotice> : null}
        <div className="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-3">
          <Button type="submit" variant="primary" disabled={!dirty || save.isPending || (submitted && !parsed.success)}>
            {save.isPending ? "Saving…" : "Save"}
          </Button>
          {dirty ? <Button onClick={() => setForm(JSON.parse(stored) as typeof form)}>Undo</Button> : null}
          <span className="ml-auto flex items-center gap-2">
            <select
              aria-label={`Model to test for ${provider.label}`}
              value={testModel}
              onChange={(event) => setTestModel(event.target.value)}
              className={`${controlClass} w-48 py-1`}
            >
              {provider.effectiveModels.map((name, index) => (
                <option key={name} value={index === 0 ? "" : name}>
                  {name}
                </option>
              ))}
            </select>
            <Button
              disabled={test.isPending || dirty}
              title={dirty ? "Save first: the test uses the saved settings" : undefined}
              onClick={() =>
                test.mutate({ provider: provider.provider, ...(testModel ? { modelName: testModel } : {}) })
              }
            >
              {test.isPending ? "Testing…" : "Test connection"}
            </Button>
          </span>
        </div>
        {test.data || test.error ? (
          <div
            role="status"
            data-testid="connection-result"
            className={`rounded-lg px-3.5 py-2.5 text-sm ${test.data?.ok ? "bg-emerald-50 text-emerald-900" : "bg-rose-50 text-rose-900"}`}
          >
            {test.data ? (
              <>
                <strong>{test.data.ok ? "Connected." : "Connection failed."}</strong> {test.data.message}
              </>
            ) : (
              test.error?.message
            )}
          </div>
        ) : null}
      </form>
    </Card>
  );
}
