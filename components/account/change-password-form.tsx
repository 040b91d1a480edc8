"use client";
/** Choose your own password (required after an admin's invite or reset). */
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { changeOwnPasswordSchema } from "@/server/shared/user-schemas";
import { useTRPC } from "../trpc";
import { Button } from "../ui/button";
import { Field, inputClass, invalidInputClass } from "../ui/field";
import { ErrorNotice, SuccessNotice } from "../ui/notice";

export function ChangePasswordForm({ temporary, hasPassword }: { temporary: boolean; hasPassword: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const id = useId();
  const [form, setForm] = useState({ currentPassword: "", newPassword: "", confirmPassword: "" });
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const change = useMutation(
    trpc.me.changePassword.mutationOptions({
      onSuccess: () => {
        setForm({ currentPassword: "", newPassword: "", confirmPassword: "" });
        setTouched(new Set());
        setSubmitted(false);
        // The layout re-reads the account: the temporary-password banner goes away.
        router.refresh();
      },
    }),
  );
  const parsed = changeOwnPasswordSchema.safeParse(form);
  const errorFor = (field: keyof typeof form) =>
    !parsed.success && (submitted || touched.has(field))
      ? parsed.error.issues.find((issue) => issue.path[0] === field)?.message
      : undefined;
  const set = (field: keyof typeof form, value: string) => {
    setForm((current) => ({ ...current, [field]: value }));
    setTouched((current) => new Set(current).add(field));
  };

  if (!hasPassword) {
    return (
      <div className="mx-auto max-w-md p-8">
        <h1 className="text-xl font-semibold">Password</h1>
        <p className="mt-2 text-sm text-slate-600">
          You sign in through an external provider; there is no Airlock password to change.
        </p>
      </div>
    );
  }

  return (
    <div className="mx-auto max-w-md p-8">
      <h1 className="text-xl font-semibold">Choose your password</h1>
      <p className="mt-1 text-sm text-slate-600">
        {temporary
          ? "An admin gave you a temporary password. Replace it with one only you know."
          : "Change the password you sign in with."}
      </p>
      <form
        noValidate
        className="mt-6 space-y-4 rounded-xl border border-slate-200 bg-white p-6 shadow-xs"
        onSubmit={(event) => {
          event.preventDefault();
          setSubmitted(true);
          if (parsed.success) change.mutate(parsed.data);
        }}
      >
        <Field label="Current password" htmlFor={`${id}-current`} error={errorFor("currentPassword")}>
          <input
            id={`${id}-current`}
            type="password"
            autoComplete="current-password"
            value={form.currentPassword}
            onChange={(event) => set("currentPassword", event.target.value)}
            className={`${inputClass} ${errorFor("currentPassword") ? invalidInputClass : ""}`}
          />
        </Field>
        <Field
          label="New password"
          htmlFor={`${id}-new`}
          error={errorFor("newPassword")}
          hint="At least 12 characters."
        >
          <input
            id={`${id}-new`}
            type="password"
            autoComplete="new-password"
            value={form.newPassword}
            onChange={(event) => set("newPassword", event.target.value)}
            className={`${inputClass} ${errorFor("newPassword") ? invalidInputClass : ""}`}
          />
        </Field>
        <Field label="New password again" htmlFor={`${id}-confirm`} error={errorFor("confirmPassword")}>
          <input
            id={`${id}-confirm`}
            type="password"
            autoComplete="new-password"
            value={form.confirmPassword}
            onChange={(event) => set("confirmPassword", event.target.value)}
            className={`${inputClass} ${errorFor("confirmPassword") ? invalidInputClass : ""}`}
          />
        </Field>
        <ErrorNotice error={change.error} />
        {change.isSuccess ? (
          <SuccessNotice>
            Your password is changed. Every other browser and device signed in to your account was signed out.
          </SuccessNotice>
        ) : null}
        <Button type="submit" variant="primary" className="w-full" disabled={change.isPending}>
          {change.isPending ? "Saving…" : "Save password"}
        </Button>
      </form>
    </div>
  );
}
