import { forbidden } from "next/navigation";
import { serverApi } from "@/server/api/server-caller";

export default async function InboxPage() {
  const me = await (await serverApi()).me.get();
  if (me?.role !== "REVIEWER" && me?.role !== "ADMIN") forbidden();
  return (
    <div className="mx-auto max-w-4xl p-8">
      <h1 className="text-xl font-semibold">Inbox</h1>
      <div className="mt-6 rounded-xl border border-dashed border-slate-300 bg-white p-10 text-center">
        <p className="font-medium">No pending actions</p>
        <p className="mt-1 text-sm text-slate-600">
          When an agent asks to change something — write or delete a file, modify data, run a command — the request
          waits here for a reviewer.
        </p>
      </div>
    </div>
  );
}
