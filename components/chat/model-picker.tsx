"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../trpc";

export function ModelPicker({
  conversationId,
  modelId,
  disabled,
}: {
  conversationId?: string;
  modelId: string | null;
  disabled: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const models = useQuery(trpc.model.list.queryOptions());
  const setModel = useMutation(
    trpc.conversation.setModel.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.conversation.get.queryKey({ id: conversationId ?? "" }) }),
    }),
  );
  if (!models.data) return null;
  const current = modelId ?? models.data.defaultModelId;
  const selected = models.data.models.find((model) => model.id === current);
  return (
    <label className="flex min-w-0 items-center gap-2 text-sm">
      <span className="sr-only">Model</span>
      {selected?.isDemo ? (
        <span
          className="hidden rounded-full bg-violet-100 px-2 py-0.5 text-xs font-medium text-violet-800 sm:inline"
          title="Answers from a script, offline"
        >
          Demo
        </span>
      ) : null}
      <select
        aria-label="Model"
        value={current}
        disabled={disabled || !conversationId || setModel.isPending}
        onChange={(event) => conversationId && setModel.mutate({ id: conversationId, modelId: event.target.value })}
        className="w-full min-w-0 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm disabled:opacity-60 sm:w-auto"
      >
        {models.data.models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.label}
          </option>
        ))}
      </select>
      {setModel.error ? (
        <span role="alert" className="text-xs text-rose-700">
          {setModel.error.message}
        </span>
      ) : null}
    </label>
  );
}
