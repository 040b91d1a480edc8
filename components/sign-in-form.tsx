"use client";
import { signIn } from "next-auth/react";
import { type FormEvent, useEffect, useState } from "react";
import { safeReturnPath } from "./safe-return-path";
import { describeSignInError } from "./sign-in-errors";

interface Props {
  providers: { id: string; name: string }[];
  demoUsers: { email: string; password: string; role: string; name: string }[];
  /** The text to show, from the page's describeSignInError (never the URL's raw `error`). */
  initialError?: string;
  callbackUrl?: string;
  /** Why the visitor is here, from a redirect (e.g. after "sign out everywhere"). */
  notice?: string;
}

const NOTICE_TEXT: Record<string, string> = {
  "signed-out-everywhere": "You were signed out everywhere. Sign in again to continue.",
};

function safeCallback(url: string | undefined): string {
  return safeReturnPath(url) ?? "/chat";
}

export function SignInForm({ providers, demoUsers, initialError, callbackUrl, notice }: Props) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(initialError);
  const [pending, setPending] = useState(false);
  // Set once React handles the form; before that a submit must not put the password in a URL.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    const result = await signIn("credentials", { email, password, redirect: false });
    if (result?.ok && !result.error) {
      window.location.assign(safeCallback(callbackUrl));
      return;
    }
    setPending(false);
    setError(describeSignInError(result?.error ?? "CredentialsSignin"));
  }

  return (
    <div className="rounded-2xl border border-slate-200 bg-white p-6 shadow-sm">
      {notice && NOTICE_TEXT[notice] ? (
        <p role="status" className="mb-4 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          {NOTICE_TEXT[notice]}
        </p>
      ) : null}
      <form method="post" onSubmit={submit} data-ready={ready} className="space-y-4">
        <div>
          <label htmlFor="email" className="block text-sm font-medium text-slate-700">
            Email
          </label>
          <input
            id="email"
            name="email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            className="mt-1 w-full rounded-lg border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none"
          />
        </div>
        <div>
          <label htmlFor="password" className="block text-sm font-medium text-slate-700">
            Password
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            className="mt-1 w-full rounded-lg border border-slate-300 px-3 py-2 shadow-sm focus:border-indigo-500 focus:outline-none"
          />
        </div>
        {error ? (
          <p role="alert" className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700">
            {error}
          </p>
        ) : null}
        <button
          type="submit"
          disabled={pending}
          className="w-full rounded-lg bg-slate-900 px-4 py-2.5 font-medium text-white hover:bg-slate-700 disabled:opacity-60"
        >
          {pending ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {providers.length > 0 ? (
        <div className="mt-4 space-y-2 border-t border-slate-100 pt-4">
          {providers.map((provider) => (
            <button
              key={provider.id}
              type="button"
              onClick={() => signIn(provider.id, { callbackUrl: safeCallback(callbackUrl) })}
              className="w-full rounded-lg border border-slate-300 px-4 py-2 text-sm font-medium hover:bg-slate-50"
            >
              Continue with {provider.name}
            </button>
          ))}
        </div>
      ) : null}
      {demoUsers.length > 0 ? (
        <div className="mt-5 border-t border-slate-100 pt-4">
          <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">Demo sign-ins</p>
          <ul className="mt-2 space-y-1.5">
            {demoUsers.map((user) => (
              <li key={user.email}>
                <button
                  type="button"
                  onClick={() => {
                    setEmail(user.email);
                    setPassword(user.password);
                    setError(undefined);
                  }}
                  className="flex w-full items-center justify-between rounded-lg px-3 py-2 text-left text-sm hover:bg-slate-50"
                >
                  <span>
                    <span className="font-medium">{user.name}</span>{" "}
                    <span className="text-slate-500">{user.email}</span>
                  </span>
                  <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">
                    {user.role}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <p className="mt-2 text-xs text-slate-500">
            Click one to fill the form. Turn these off with SEED_DEMO_USERS=off.
          </p>
        </div>
      ) : null}
    </div>
  );
}
