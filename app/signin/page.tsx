import { redirect } from "next/navigation";
import { safeReturnPath } from "@/components/safe-return-path";
import { describeSignInError } from "@/components/sign-in-errors";
import { SignInForm } from "@/components/sign-in-form";
import { SystemTheme } from "@/components/ui/theme";
import { currentUser, serverApi } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; callbackUrl?: string; notice?: string }>;
}) {
  const api = await serverApi();
  const [options, params] = await Promise.all([api.auth.signInOptions(), searchParams]);
  // With the database away (restarting) the page still renders, saying so, instead of an error page.
  const me = await currentUser().catch((error: { code?: string }) => {
    if (error.code === "SERVICE_UNAVAILABLE") return "database-unavailable" as const;
    throw error;
  });
  // Signed in already (another tab did it): straight on to where the link pointed.
  if (me && me !== "database-unavailable") redirect(safeReturnPath(params.callbackUrl) ?? "/chat");
  // Only the described text goes to the page: the URL's `error` is anyone's text.
  const initialError = describeSignInError(me === "database-unavailable" ? "DatabaseUnavailable" : params.error);
  return (
    <main className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-100 to-slate-50 p-4 sm:p-6">
      <SystemTheme />
      <div className="w-full max-w-md">
        <div className="mb-6 text-center">
          <div className="mx-auto flex h-12 w-12 items-center justify-center rounded-xl bg-slate-900 text-lg font-bold text-white">
            A
          </div>
          <h1 className="mt-3 text-2xl font-semibold">Sign in to Airlock</h1>
          <p className="mt-1 text-sm text-slate-600">Agents act; humans approve what matters.</p>
        </div>
        <SignInForm
          providers={options.providers}
          demoUsers={options.demoUsers}
          initialError={initialError}
          {...(params.notice ? { notice: params.notice } : {})}
          callbackUrl={params.callbackUrl}
        />
      </div>
    </main>
  );
}
