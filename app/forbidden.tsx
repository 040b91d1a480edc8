import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="flex min-h-full items-center justify-center p-8">
      <div className="max-w-md rounded-xl border border-slate-200 bg-white p-8 text-center shadow-sm">
        <p className="text-sm font-semibold text-rose-600">403 · Not allowed</p>
        <h1 className="mt-2 text-xl font-semibold">This page is not for your role</h1>
        <p className="mt-2 text-slate-600">
          Your account does not have access here. If you think it should, ask an admin to change your role.
        </p>
        <Link
          href="/chat"
          className="mt-6 inline-block rounded-lg bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700"
        >
          Back to chat
        </Link>
      </div>
    </main>
  );
}
