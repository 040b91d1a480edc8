import { forbidden } from "next/navigation";
import { Suspense } from "react";
import { Inbox } from "@/components/inbox/inbox";
import { serverApi } from "@/server/api/server-caller";

export default async function InboxPage() {
  const me = await (await serverApi()).me.get();
  if (me?.role !== "REVIEWER" && me?.role !== "ADMIN") forbidden();
  return (
    <Suspense fallback={<p className="p-8 text-slate-500">Loading inbox…</p>}>
      <Inbox meId={me.id} />
    </Suspense>
  );
}
