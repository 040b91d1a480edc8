"use client";
/**
 * "Sign out everywhere": ends every session of this account — other browsers, other
 * devices, a forgotten tab, and this one — after a confirmation. The server bumps the
 * session version; this browser then drops its own cookie and lands on sign-in.
 */
import { useMutation } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { useTRPC } from "../trpc";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { ErrorNotice } from "../ui/notice";

export function SignOutEverywhere() {
  const trpc = useTRPC();
  const [confirming, setConfirming] = useState(false);
  const end = useMutation(
    trpc.me.signOutEverywhere.mutationOptions({
      onSuccess: () => signOut({ callbackUrl: "/signin?notice=signed-out-everywhere" }),
    }),
  );
  return (
    <section className="mx-auto max-w-md px-8 pb-8">
      <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-xs">
        <h2 className="text-base font-semibold">Sessions</h2>
        <p className="mt-1 text-sm text-slate-600">
          Signed in somewhere you no longer use, or on a device you lost? End every session of your account at once,
          this one included.
        </p>
        <Button variant="danger" className="mt-4" onClick={() => setConfirming(true)}>
          Sign out everywhere
        </Button>
      </div>
      {confirming ? (
        <Dialog
          title="Sign out everywhere?"
          description="Every browser and device signed in to your account is signed out at once, including this one. You sign in again with your password."
          onClose={() => (end.isPending ? undefined : setConfirming(false))}
        >
          <ErrorNotice error={end.error} />
          {end.isSuccess ? (
            <p role="status" className="text-sm text-slate-700">
              All sessions ended. Taking you to sign in…
            </p>
          ) : null}
          <div className="mt-4 flex justify-end gap-2">
            <Button onClick={() => setConfirming(false)} disabled={end.isPending || end.isSuccess}>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => end.mutate()} disabled={end.isPending || end.isSuccess}>
              {end.isPending ? "Signing out…" : "Yes, sign out everywhere"}
            </Button>
          </div>
        </Dialog>
      ) : null}
    </section>
  );
}
