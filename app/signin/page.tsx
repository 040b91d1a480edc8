import { redirect } from "next/navigation";
import { SignInForm } from "@/components/sign-in-form";
import { serverApi } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; callbackUrl?: string; notice?: string }>;
}) {
  const api = await serverApi();
  if (await api.me.get()) redirect("/chat");
  const [options, params] = await Promise.all([api.auth.signInOptions(), searchParams]);
  return (
    <main className="flex min-h-full items-center justify-center bg-gradient-to-b from-slate-100 to-slate-50 p-6">
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
          initialError={params.error}
          {...(params.notice ? { notice: params.notice } : {})}
          callbackUrl={params.callbackUrl}
        />
      </div>
    </main>
  );
}
