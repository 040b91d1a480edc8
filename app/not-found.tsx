import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-full items-center justify-center p-8">
      <div className="max-w-md rounded-xl border border-slate-200 bg-white p-8 text-center shadow-sm">
        <p className="text-sm font-semibold text-slate-500">404</p>
        <h1 className="mt-2 text-xl font-semibold">Nothing here</h1>
        <p className="mt-2 text-slate-600">This page or conversation does not exist, or it is not yours.</p>
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
