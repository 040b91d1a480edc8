import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { serverApi } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";

export default async function AuthenticatedLayout({ children }: { children: ReactNode }) {
  const me = await (await serverApi()).me.get();
  if (!me) redirect("/signin");
  return <AppShell user={me}>{children}</AppShell>;
}
